from kgpub.cli import main

main()
