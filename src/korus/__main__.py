from korus.command import main

main()
