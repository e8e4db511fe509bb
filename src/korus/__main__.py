from korus.cli import main

main()
