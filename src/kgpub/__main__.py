from kgpub.cli.commands import main

main()
