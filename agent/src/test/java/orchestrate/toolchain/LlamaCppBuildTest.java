package orchestrate.toolchain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import orchestrate.testing.RealPart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's bookkeeping, on a small CMake project with llama.cpp's tool targets (seconds to
 * build with the real CMake and compiler), and the backend choice with a fake {@code nvidia-smi}
 * and {@code nvcc}. The build of llama.cpp itself is in {@code LlamaCppStepTest}.
 */
class LlamaCppBuildTest {

    @TempDir
    Path dir;

    private final List<String> said = new ArrayList<>();
    private final AtomicBoolean building = new AtomicBoolean();
    private final LlamaCppBuild.Listener listener = new LlamaCppBuild.Listener() {
        @Override
        public void info(String line) {
            said.add(line);
        }

        @Override
        public void progress(int percent) {
            building.set(true);
        }
    };

    @Test
    void aBuildKilledHalfwayIsNotBuiltAndTheNextRunFinishesIt() throws Exception {
        requireBuildTools();
        Path project = smallProject();
        Files.writeString(project.resolve("hold"), "the first build waits here until it is killed");
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", project, "cpu", 1, dir.resolve("cache"), null);

        assertThrows(CancellationException.class, () -> LlamaCppBuild.ensure(settings, Map.of(), listener, building::get));
        Path home = dir.resolve("cache/small-cpu");
        assertFalse(Files.exists(home.resolve("built")), "a killed build does not count as built");
        assertFalse(Files.exists(home.resolve("bin/llama-simple")));

        Files.delete(project.resolve("hold"));
        said.clear();
        LlamaCppBuild.Toolchain toolchain = LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);

        assertFalse(toolchain.reused());
        assertTrue(Files.exists(home.resolve("built")));
        for (String tool : LlamaCppBuild.TOOLS) {
            Process run = new ProcessBuilder(toolchain.tool(tool).toString()).start();
            assertEquals(tool + "\n", new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        assertFalse(Files.exists(home.resolve("build")), "the objects are deleted once the tools are in bin/");
        assertTrue(said.stream().anyMatch(l -> l.matches("built llama\\.cpp small for cpu in \\d+ s at .*")), said.toString());
    }

    @Test
    void aSecondRunStartsNoCompiler() throws Exception {
        requireBuildTools();
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "cpu", 2, dir.resolve("cache"), null);
        LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);

        Path started = dir.resolve("compiler-started");
        Path fakes = fakeTools(Map.of("cmake", "touch '" + started + "'; exit 1", "make", "touch '" + started + "'", "c++", "touch '" + started + "'",
                "g++", "touch '" + started + "'"));
        said.clear();
        LlamaCppBuild.Toolchain again = LlamaCppBuild.ensure(settings, Map.of("PATH", fakes.toString()), listener, () -> false);

        assertTrue(again.reused());
        assertFalse(Files.exists(started), "no build tool was started");
        assertEquals(List.of("llama.cpp small (cpu) is already built at " + dir.resolve("cache/small-cpu")), said);
    }

    @Test
    void aToolDeletedFromTheBuildMakesItBuildAgain() throws Exception {
        requireBuildTools();
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "cpu", 2, dir.resolve("cache"), null);
        LlamaCppBuild.Toolchain first = LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);
        Files.delete(first.tool("llama-perplexity"));

        LlamaCppBuild.Toolchain second = LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);

        assertFalse(second.reused());
        assertTrue(Files.isExecutable(second.tool("llama-perplexity")));
    }

    @Test
    void aBuildMadeWithOtherOptionsIsBuiltAgain() throws Exception {
        requireBuildTools();
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "cpu", 2, dir.resolve("cache"), null);
        LlamaCppBuild.Toolchain first = LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);
        Path marker = first.home().resolve("built");
        // As an older orchestrate would have built it: with AMX, say.
        Files.writeString(marker, Files.readString(marker).replace(" -DCMAKE_C_FLAGS\\=-U__AMX_INT8__", ""));

        LlamaCppBuild.Toolchain second = LlamaCppBuild.ensure(settings, Map.of(), listener, () -> false);

        assertFalse(second.reused());
        assertTrue(Files.readString(marker).contains("-DCMAKE_C_FLAGS\\=-U__AMX_INT8__"));
    }

    @Test
    void aMissingCompilerIsOneLineNamingThePackages() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", dir.resolve("llama.cpp.bundle"), "auto", 2, dir.resolve("cache"), null);

        LlamaCppException e = assertThrows(LlamaCppException.class, () -> LlamaCppBuild.ensure(settings, Map.of("PATH", empty.toString()), listener,
                () -> false));

        assertEquals("building llama.cpp needs cmake, make, g++, git on this box; install them (Debian/Ubuntu: apt-get install cmake make g++ git) "
                + "and run again", e.getMessage());
    }

    @Test
    void withAnNvidiaCardAndNvccTheBuildIsCudaForThatCard() throws Exception {
        Path recorded = dir.resolve("cmake-arguments");
        Path fakes = fakeTools(Map.of("nvidia-smi", "echo 8.9", "nvcc", "exit 0", "cmake", "printf '%s\\n' \"$@\" > '" + recorded + "'; exit 3",
                "make", "exit 0", "c++", "exit 0"));
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "auto", 2, dir.resolve("cache"), null);

        assertThrows(LlamaCppException.class, () -> LlamaCppBuild.ensure(settings, Map.of("PATH", fakes.toString()), listener, () -> false));

        List<String> arguments = Files.readAllLines(recorded);
        assertTrue(arguments.contains("-DGGML_CUDA=ON"), arguments.toString());
        assertTrue(arguments.contains("-DCMAKE_CUDA_ARCHITECTURES=89"), arguments.toString());
        assertTrue(said.contains("configuring llama.cpp small for cuda (CUDA architecture 89)"), said.toString());
    }

    @Test
    void withoutThemTheBuildIsForTheCpu() throws Exception {
        Path recorded = dir.resolve("cmake-arguments");
        Path fakes = fakeTools(Map.of("cmake", "printf '%s\\n' \"$@\" > '" + recorded + "'; exit 3", "make", "exit 0", "c++", "exit 0",
                "nvcc", "exit 0"));
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "auto", 2, dir.resolve("cache"), null);

        LlamaCppException e = assertThrows(LlamaCppException.class, () -> LlamaCppBuild.ensure(settings, Map.of("PATH", fakes.toString()), listener,
                () -> false));

        List<String> arguments = Files.readAllLines(recorded);
        assertFalse(arguments.stream().anyMatch(a -> a.contains("CUDA")), arguments.toString());
        assertTrue(said.contains("configuring llama.cpp small for cpu"), said.toString());
        assertTrue(e.getMessage().startsWith("cmake -S failed (exit status 3)"), e.getMessage());
    }

    @Test
    void cudaAskedForWithoutACardIsRefusedInOneLine() throws Exception {
        Path fakes = fakeTools(Map.of("nvcc", "exit 0"));
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings("small", smallProject(), "cuda", 2, dir.resolve("cache"), null);

        LlamaCppException e = assertThrows(LlamaCppException.class, () -> LlamaCppBuild.ensure(settings, Map.of("PATH", fakes.toString()), listener,
                () -> false));

        assertEquals("backend: cuda needs nvcc and an NVIDIA GPU that nvidia-smi can see; this box has no GPU that nvidia-smi reports", e.getMessage());
    }

    /** A CMake project with llama.cpp's tool targets, each printing its name; llama-simple waits while a file named hold exists. */
    private Path smallProject() throws Exception {
        Path project = Files.createDirectories(dir.resolve("small-project"));
        Files.writeString(project.resolve("hold.sh"), "while [ -f '" + project.resolve("hold") + "' ]; do sleep 0.2; done\ntouch hold.stamp\n");
        StringBuilder cmake = new StringBuilder("cmake_minimum_required(VERSION 3.10)\nproject(small C)\n"
                + "add_custom_command(OUTPUT hold.stamp COMMAND sh ${CMAKE_SOURCE_DIR}/hold.sh)\n"
                + "add_custom_target(hold DEPENDS hold.stamp)\n"
                + "set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)\n");
        for (String tool : LlamaCppBuild.TOOLS) {
            Files.writeString(project.resolve(tool + ".c"), "#include <stdio.h>\nint main(void) { puts(\"" + tool + "\"); return 0; }\n");
            cmake.append("add_executable(").append(tool).append(' ').append(tool).append(".c)\n");
        }
        cmake.append("add_dependencies(llama-simple hold)\n");
        Files.writeString(project.resolve("CMakeLists.txt"), cmake);
        return project;
    }

    private Path fakeTools(Map<String, String> scripts) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        for (Map.Entry<String, String> script : scripts.entrySet()) {
            Path file = bin.resolve(script.getKey());
            Files.writeString(file, "#!/bin/sh\n" + script.getValue() + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    private static void requireBuildTools() {
        RealPart.require(Programs.find("cmake", Map.of()).isPresent() && Programs.find("cc", Map.of()).isPresent(),
                "CMake and a C compiler are not installed (Debian: cmake, gcc)");
    }
}
