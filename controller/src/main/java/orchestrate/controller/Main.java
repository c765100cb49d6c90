package orchestrate.controller;

import orchestrate.controller.cli.Cli;

public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.exit(Cli.commandLine(Laptop.system()).execute(args));
    }
}
