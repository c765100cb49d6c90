package orchestrate.toolchain;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import orchestrate.files.AtomicFiles;

/**
 * The source llama.cpp is built from. By default the pinned one: the npm package node-llama-cpp
 * carries llama.cpp as a git bundle, and its tarball is fetched from the registry and checked
 * against the SHA-512 the registry published for it before anything in it is used. Or a
 * directory of llama.cpp's source, a git bundle, or such a tarball, already on the box.
 */
public final class LlamaCppSource {

    /** The commit the pinned package carries, which names the default version. */
    public static final String PINNED_VERSION = "80fb11ac";
    public static final String PINNED_PACKAGE = "node-llama-cpp-3.21.1.tgz";
    /** npm's published integrity of the pinned tarball ({@code npm view node-llama-cpp@3.21.1 dist.integrity}). */
    public static final String PINNED_INTEGRITY = "sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg==";
    public static final String DEFAULT_REGISTRY = "https://registry.npmjs.org";
    private static final String BUNDLE_IN_PACKAGE = "package/llama/gitRelease.bundle";
    private static final String BUNDLE = "gitRelease.bundle";
    private static final String READY = "src.ready";

    private LlamaCppSource() {}

    /** A source tree to build, and its git commit (short) when it came from git, else empty. */
    record Tree(Path path, String commit) {}

    /** Whether the tree is a directory given as it is, which we build without our patches (we never change it). */
    static boolean givenAsIs(LlamaCppBuild.Settings settings) {
        return settings.source() != null && Files.isDirectory(settings.source());
    }

    /** The source tree to build: unpacked and patched under {@code home}, unless it is a directory given as it is. */
    static Tree prepare(LlamaCppBuild.Settings settings, Path home, Map<String, String> environment, LlamaCppBuild.Listener listener)
            throws IOException, LlamaCppException, InterruptedException {
        Path given = settings.source();
        if (givenAsIs(settings)) {
            if (!Files.isRegularFile(given.resolve("CMakeLists.txt"))) {
                throw new LlamaCppException("source: " + given + " has no CMakeLists.txt; expected llama.cpp's source tree");
            }
            return new Tree(given, commit(given, environment));
        }
        Path tree = home.resolve("src");
        if (Files.exists(home.resolve(READY))) {
            return new Tree(tree, commit(tree, environment)); // a killed build's source, whole: CMake takes up what it had built
        }
        Files.createDirectories(home);
        deleteTree(tree);
        Path bundle;
        if (given == null) {
            Path tarball = home.resolve(PINNED_PACKAGE);
            fetch(settings.registry() + "/node-llama-cpp/-/" + PINNED_PACKAGE, tarball, listener);
            bundle = bundleFromPackage(tarball, home.resolve(BUNDLE));
        } else if (given.getFileName().toString().endsWith(".bundle")) {
            bundle = given;
        } else if (given.getFileName().toString().endsWith(".tgz") || given.getFileName().toString().endsWith(".tar.gz")) {
            bundle = bundleFromPackage(given, home.resolve(BUNDLE));
        } else {
            throw new LlamaCppException("source: " + given + " is not a directory, a .bundle or a node-llama-cpp .tgz");
        }
        listener.info("unpacking llama.cpp's source from " + bundle.getFileName());
        Process git = Programs.builder(List.of("git", "clone", "-q", bundle.toString(), tree.toString()), environment).redirectErrorStream(true).start();
        git.getOutputStream().close();
        String said = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (git.waitFor() != 0) {
            throw new LlamaCppException("git clone of " + bundle + " failed: " + said.strip());
        }
        SourcePatches.apply(tree, listener);
        AtomicFiles.write(home.resolve(READY), new byte[0]);
        return new Tree(tree, commit(tree, environment));
    }

    /** What {@link #prepare} unpacked under {@code home}, deleted once the tools are built. */
    static void deleteUnpacked(Path home) throws IOException {
        Files.deleteIfExists(home.resolve(READY));
        deleteTree(home.resolve("src"));
        Files.deleteIfExists(home.resolve(BUNDLE));
        Files.deleteIfExists(home.resolve(PINNED_PACKAGE));
    }

    /** The tree's git commit, abbreviated as llama.cpp's releases name it; empty when it is not a git checkout. */
    private static String commit(Path tree, Map<String, String> environment) throws IOException {
        if (!Files.exists(tree.resolve(".git"))) {
            return "";
        }
        return Programs.capture(List.of("git", "-C", tree.toString(), "rev-parse", "--short=8", "HEAD"), environment).map(String::strip).orElse("");
    }

    /** Downloads the pinned tarball and refuses it unless its SHA-512 is the one npm published. */
    private static void fetch(String url, Path target, LlamaCppBuild.Listener listener) throws IOException, LlamaCppException {
        listener.info("fetching llama.cpp's source: " + url);
        OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(20)).readTimeout(Duration.ofSeconds(60)).build();
        MessageDigest sha512 = sha512();
        Path temporary = AtomicFiles.temporaryFor(target);
        try (Response response = http.newCall(new Request.Builder().url(url).build()).execute()) {
            if (response.code() != 200) {
                throw new LlamaCppException("fetching " + url + " answered HTTP " + response.code());
            }
            try (InputStream in = new DigestInputStream(response.body().byteStream(), sha512)) {
                Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            }
            String integrity = "sha512-" + Base64.getEncoder().encodeToString(sha512.digest());
            if (!integrity.equals(PINNED_INTEGRITY)) {
                throw new LlamaCppException(url + " is not the package npm published: its SHA-512 is " + integrity + ", expected " + PINNED_INTEGRITY);
            }
            AtomicFiles.commit(temporary, target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Takes llama.cpp's git bundle out of a node-llama-cpp tarball. */
    private static Path bundleFromPackage(Path tarball, Path bundle) throws IOException, LlamaCppException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarball), 1 << 16))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = field(header, 345, 155).isEmpty() ? field(header, 0, 100) : field(header, 345, 155) + "/" + field(header, 0, 100);
                long size = Long.parseLong(field(header, 124, 12).strip().isEmpty() ? "0" : field(header, 124, 12).strip(), 8);
                if (name.equals(BUNDLE_IN_PACKAGE)) {
                    // A half-written bundle is harmless: nothing counts as unpacked until the clone from it is marked ready.
                    try (OutputStream out = Files.newOutputStream(bundle)) {
                        copy(in, out, size);
                    }
                    return bundle;
                }
                in.skipNBytes((size + 511) / 512 * 512);
            }
        } catch (ZipException | NumberFormatException e) {
            throw new LlamaCppException(tarball + " is not a gzipped tar: " + e.getMessage());
        }
        throw new LlamaCppException(tarball + " has no " + BUNDLE_IN_PACKAGE + "; expected node-llama-cpp's npm package");
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[1 << 16];
        for (long left = size; left > 0; ) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("the tarball ends inside " + BUNDLE_IN_PACKAGE);
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    private static MessageDigest sha512() {
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-512", e);
        }
    }

    static void deleteTree(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        try (var walk = Files.walk(tree)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
