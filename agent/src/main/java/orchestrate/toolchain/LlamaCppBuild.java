package orchestrate.toolchain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.files.AtomicFiles;
import orchestrate.process.ChildProcess;

/**
 * llama.cpp's tools built on this machine from one source, once: under
 * {@code <cache>/<version>-<backend>/}, where a {@code built} file, written last, says the build
 * is whole. A second run costs that check; a build killed halfway is taken up again (CMake
 * rebuilds what is missing) under a lock, so two runs never build into one folder at once.
 */
public final class LlamaCppBuild {

    /** What the tools run on: the CPU, or an NVIDIA GPU through CUDA. */
    public enum Backend {
        CPU, CUDA;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param source  a directory of llama.cpp's source, a git bundle or an npm tarball of node-llama-cpp; null for the
     *                pinned tarball, fetched from {@code registry} and checked against its published SHA-512
     * @param backend "auto", "cpu" or "cuda"
     */
    public record Settings(String version, Path source, String backend, int jobs, Path cache, String registry) {}

    /**
     * The tools of one build.
     *
     * @param commit       the source's git commit, when it came from git; else empty
     * @param buildSeconds how long the build took
     * @param reused       found built rather than built now
     */
    public record Toolchain(Path home, String version, String commit, Backend backend, long buildSeconds, boolean reused) {

        public Path tool(String name) {
            return home.resolve("bin").resolve(name);
        }
    }

    /** What a build tells its step as it goes. */
    public interface Listener {
        void info(String line);

        /** How far the build is, in percent, as CMake says it. */
        void progress(int percent);
    }

    /** The backend and, for CUDA, the card's architecture ("89" for compute capability 8.9) that a backend choice means here. */
    public record Target(Backend backend, String cudaArchitecture) {}

    /** The tools built, so that verify, evaluate and imatrix have them. */
    public static final List<String> TOOLS = List.of("llama-simple", "llama-perplexity", "llama-quantize", "llama-imatrix", "llama-tokenize",
            "llama-gguf-split");

    private static final String BUILT = "built";
    private static final Pattern PERCENT = Pattern.compile("^\\[\\s*(\\d{1,3})%\\]");
    private static final Pattern COMPUTE_CAPABILITY = Pattern.compile("(\\d+)\\.(\\d+)");
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private LlamaCppBuild() {}

    public static Target target(String choice, Map<String, String> environment) throws IOException, LlamaCppException {
        Optional<String> architecture = cudaArchitecture(environment);
        return switch (choice) {
            case "cpu" -> new Target(Backend.CPU, null);
            case "cuda" -> new Target(Backend.CUDA, architecture.orElseThrow(() -> new LlamaCppException(
                    "backend: cuda needs nvcc and an NVIDIA GPU that nvidia-smi can see; this box has " + (Programs.find("nvcc", environment).isEmpty()
                            ? "no nvcc (install the CUDA toolkit)" : "no GPU that nvidia-smi reports"))));
            case "auto" -> architecture.map(arch -> new Target(Backend.CUDA, arch)).orElse(new Target(Backend.CPU, null));
            default -> throw new IllegalArgumentException("backend " + choice);
        };
    }

    /** The first GPU's architecture for CMake, when nvcc is here and nvidia-smi names a card. */
    private static Optional<String> cudaArchitecture(Map<String, String> environment) throws IOException {
        if (Programs.find("nvcc", environment).isEmpty()) {
            return Optional.empty();
        }
        Matcher m = COMPUTE_CAPABILITY.matcher(Programs.capture(List.of("nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"),
                environment).orElse(""));
        return m.find() ? Optional.of(m.group(1) + m.group(2)) : Optional.empty();
    }

    /** CMake's configure command for {@code source} into {@code build}. */
    public static List<String> configure(Path source, Path build, Target target) {
        List<String> command = new ArrayList<>(List.of("cmake", "-S", source.toString(), "-B", build.toString()));
        command.addAll(options(target));
        return command;
    }

    /**
     * The build's options. Static tools (they must run from the cache whatever the box's library
     * path), no network code. AMX is left out: on some Sapphire Rapids machines llama.cpp's AMX
     * kernels crash on the first matrix product of a repacked Q4_0/Q8_0/K-quant tensor
     * (ggml-org/llama.cpp#20824, seen here too), and -march=native would switch them on; the
     * macro the AMX code is compiled under is undefined instead.
     */
    static List<String> options(Target target) {
        List<String> options = new ArrayList<>(List.of("-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF", "-DBUILD_SHARED_LIBS=OFF",
                "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DCMAKE_C_FLAGS=-U__AMX_INT8__", "-DCMAKE_CXX_FLAGS=-U__AMX_INT8__"));
        if (target.backend() == Backend.CUDA) {
            options.add("-DGGML_CUDA=ON");
            options.add("-DCMAKE_CUDA_ARCHITECTURES=" + target.cudaArchitecture());
        }
        return options;
    }

    /** The Debian packages (cmake, make, g++, git) that building llama.cpp from a tarball or bundle needs and this PATH lacks. */
    public static List<String> missingBuildTools(Map<String, String> environment) {
        return BuildTools.missing(true, environment);
    }

    /** The tools {@code settings} name when they are built here, whole; nothing is started but the GPU query. */
    public static Optional<Toolchain> find(Settings settings, Map<String, String> environment) throws IOException, LlamaCppException {
        Target target = target(settings.backend(), environment);
        return built(settings.cache().resolve(settings.version() + "-" + target.backend().wire()), target, settings);
    }

    /** The tools, built now or found built; refuses in one line when this machine cannot build them. */
    public static Toolchain ensure(Settings settings, Map<String, String> environment, Listener listener, BooleanSupplier cancelled)
            throws IOException, LlamaCppException, InterruptedException {
        Target target = target(settings.backend(), environment);
        Path home = settings.cache().resolve(settings.version() + "-" + target.backend().wire());
        Optional<Toolchain> found = built(home, target, settings);
        if (found.isPresent()) {
            listener.info("llama.cpp " + settings.version() + " (" + target.backend().wire() + ") is already built at " + home);
            return found.get();
        }
        Files.createDirectories(settings.cache());
        try (FileChannel lockFile = FileChannel.open(settings.cache().resolve(home.getFileName() + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.lock()) {
            found = built(home, target, settings);
            if (found.isPresent()) {
                listener.info("llama.cpp " + settings.version() + " (" + target.backend().wire() + ") was built meanwhile at " + home);
                return found.get();
            }
            Files.deleteIfExists(home.resolve(BUILT));
            return build(settings, target, home, environment, listener, cancelled);
        }
    }

    private static Toolchain build(Settings settings, Target target, Path home, Map<String, String> environment, Listener listener,
                                   BooleanSupplier cancelled) throws IOException, LlamaCppException, InterruptedException {
        BuildTools.require(settings.source() == null || !Files.isDirectory(settings.source()), environment, listener);
        long started = System.nanoTime();
        LlamaCppSource.Tree source = LlamaCppSource.prepare(settings, home, environment, listener);
        Path build = home.resolve("build");
        listener.info("configuring llama.cpp " + settings.version() + " for " + target.backend().wire()
                + (target.cudaArchitecture() == null ? "" : " (CUDA architecture " + target.cudaArchitecture() + ")"));
        run(configure(source.path(), build, target), environment, percent -> {}, cancelled);
        List<String> make = new ArrayList<>(List.of("cmake", "--build", build.toString(), "-j", String.valueOf(settings.jobs()), "--target"));
        make.addAll(TOOLS);
        listener.info("building " + String.join(", ", TOOLS) + " with " + settings.jobs() + " jobs");
        run(make, environment, listener::progress, cancelled);
        Files.createDirectories(home.resolve("bin"));
        for (String tool : TOOLS) {
            Files.copy(build.resolve("bin").resolve(tool), home.resolve("bin").resolve(tool), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        Properties built = new Properties();
        built.setProperty("version", settings.version());
        built.setProperty("commit", source.commit());
        built.setProperty("backend", target.backend().wire());
        built.setProperty("options", String.join(" ", options(target)));
        built.setProperty("patches", patches(settings));
        built.setProperty("seconds", String.valueOf(seconds));
        StringWriter text = new StringWriter();
        built.store(text, "llama.cpp's tools in bin/ are whole");
        AtomicFiles.write(home.resolve(BUILT), text.toString().getBytes(StandardCharsets.UTF_8));
        // The tools are whole in bin/; the objects and an unpacked source would only hold the box's disk.
        LlamaCppSource.deleteTree(build);
        LlamaCppSource.deleteUnpacked(home);
        listener.info("built llama.cpp " + settings.version() + (source.commit().isEmpty() || source.commit().startsWith(settings.version()) ? ""
                : " (commit " + source.commit() + ")") + " for "
                + target.backend().wire() + " in " + seconds + " s at " + home);
        return new Toolchain(home, settings.version(), source.commit(), target.backend(), seconds, false);
    }

    /** The patches a build from {@code settings}' source carries. */
    private static String patches(Settings settings) {
        return LlamaCppSource.givenAsIs(settings) ? "" : SourcePatches.names();
    }

    /**
     * The build in {@code home} when it is whole and made as we would make it now: with this target's options (its
     * card's architecture among them) and our patches, every tool still there.
     */
    private static Optional<Toolchain> built(Path home, Target target, Settings settings) throws IOException {
        Path marker = home.resolve(BUILT);
        if (!Files.isRegularFile(marker)) {
            return Optional.empty();
        }
        Properties built = new Properties();
        built.load(new StringReader(Files.readString(marker, StandardCharsets.UTF_8)));
        if (!String.join(" ", options(target)).equals(built.getProperty("options")) || !patches(settings).equals(built.getProperty("patches"))
                || !TOOLS.stream().allMatch(t -> Files.isExecutable(home.resolve("bin").resolve(t)))) {
            return Optional.empty();
        }
        long seconds;
        try {
            seconds = Long.parseLong(built.getProperty("seconds", "0"));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.of(new Toolchain(home, built.getProperty("version", ""), built.getProperty("commit", ""), target.backend(), seconds, true));
    }

    /** Runs a build command to its end, its output read for CMake's percentages (and its last lines kept for a failure). */
    private static void run(List<String> command, Map<String, String> environment, IntConsumer percent, BooleanSupplier cancelled)
            throws IOException, LlamaCppException, InterruptedException {
        Process process = Programs.builder(command, environment).redirectErrorStream(true).start();
        process.getOutputStream().close();
        ArrayDeque<String> tail = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    Matcher m = PERCENT.matcher(line);
                    if (m.find()) {
                        percent.accept(Integer.parseInt(m.group(1)));
                    }
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 40) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the process is gone, or the step was cancelled while reporting: the wait below sees it
            }
        }, "llama-cpp-build");
        reader.setDaemon(true);
        reader.start();
        ChildProcess.Outcome outcome = ChildProcess.await(process, null, cancelled, STOP_GRACE);
        reader.join(5000);
        if (!outcome.exited()) {
            throw new CancellationException("cancelled; the next run takes the llama.cpp build up where it stopped");
        }
        if (outcome.status() != 0) {
            String last;
            synchronized (tail) {
                last = tail.stream().filter(l -> l.toLowerCase(Locale.ROOT).contains("error")).findFirst()
                        .orElse(tail.isEmpty() ? "no output" : tail.getLast());
            }
            throw new LlamaCppException(String.join(" ", command.subList(0, 2)) + " failed (exit status " + outcome.status() + "): " + last.strip());
        }
    }
}
