package orchestrate.toolchain;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What building llama.cpp needs on the box: CMake, make, a C++ compiler, and git for a bundle.
 * Installed with apt-get when the agent runs as root (as the controller installs Java), else
 * refused in one line naming the packages.
 */
final class BuildTools {

    private BuildTools() {}

    static void require(boolean needsGit, Map<String, String> environment, LlamaCppBuild.Listener listener)
            throws IOException, LlamaCppException, InterruptedException {
        List<String> missing = missing(needsGit, environment);
        if (missing.isEmpty()) {
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || Programs.find("apt-get", environment).isEmpty()) {
            throw new LlamaCppException("building llama.cpp needs " + String.join(", ", missing) + " on this box; install them (Debian/Ubuntu: "
                    + "apt-get install " + String.join(" ", missing) + ") and run again");
        }
        listener.info("installing " + String.join(", ", missing) + " with apt-get to build llama.cpp");
        List<String> command = List.of("sh", "-c", "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q "
                + "--no-install-recommends " + String.join(" ", missing));
        int status = Programs.builder(command, environment).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        List<String> still = missing(needsGit, environment);
        if (status != 0 || !still.isEmpty()) {
            throw new LlamaCppException("installing " + String.join(", ", missing) + " with apt-get failed (exit status " + status + "); install "
                    + String.join(" ", still.isEmpty() ? missing : still) + " and run again");
        }
    }

    /** The Debian packages of the tools that are not on the PATH. */
    static List<String> missing(boolean needsGit, Map<String, String> environment) {
        List<String> missing = new ArrayList<>();
        if (Programs.find("cmake", environment).isEmpty()) {
            missing.add("cmake");
        }
        if (Programs.find("make", environment).isEmpty()) {
            missing.add("make");
        }
        if (Programs.find("c++", environment).isEmpty() && Programs.find("g++", environment).isEmpty()) {
            missing.add("g++");
        }
        if (needsGit && Programs.find("git", environment).isEmpty()) {
            missing.add("git");
        }
        return missing;
    }
}
