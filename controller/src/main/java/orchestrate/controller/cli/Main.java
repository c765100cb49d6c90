package orchestrate.controller.cli;

import orchestrate.controller.Laptop;

public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.exit(Cli.commandLine(Laptop.system()).execute(args));
    }
}
