"""The release folder: its layout, its typed manifest, opening one and writing one."""
