from glaas.cli import main

main()
