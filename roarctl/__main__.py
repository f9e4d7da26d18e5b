from roarctl.cli import main

main()
