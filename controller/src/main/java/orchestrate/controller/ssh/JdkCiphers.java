package orchestrate.controller.ssh;

import com.hierynomus.sshj.transport.cipher.GcmCipher;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.List;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.common.SSHRuntimeException;
import net.schmizz.sshj.transport.cipher.BlockCipher;
import net.schmizz.sshj.transport.cipher.Cipher;

/**
 * AES for sshj from the JDK's own provider. sshj registers BouncyCastle and takes every cipher
 * from it, whose AES is plain Java; the JDK's runs on the processor's AES instructions. Measured
 * on loopback (BENCHMARKS.md), this is what makes fetching fast.
 */
final class JdkCiphers {

    private static final String PROVIDER = "SunJCE";

    private JdkCiphers() {}

    /** GCM first (no separate MAC), then CTR, in the names SSH negotiates. */
    static List<Factory.Named<Cipher>> aes() {
        return List.of(gcm(128), gcm(256), ctr(128), ctr(256));
    }

    private static Factory.Named<Cipher> gcm(int keyBits) {
        return factory("aes" + keyBits + "-gcm@openssh.com", () -> new GcmCipher(12, 16, keyBits / 8, "AES", "AES/GCM/NoPadding") {
            @Override
            protected void initCipher(javax.crypto.Cipher ignored, Mode mode, byte[] key, byte[] iv)
                    throws InvalidKeyException, InvalidAlgorithmParameterException {
                cipher = jdk("AES/GCM/NoPadding");
                super.initCipher(cipher, mode, key, iv);
            }
        });
    }

    private static Factory.Named<Cipher> ctr(int keyBits) {
        return factory("aes" + keyBits + "-ctr", () -> new BlockCipher(16, keyBits / 8, "AES", "AES/CTR/NoPadding") {
            @Override
            protected void initCipher(javax.crypto.Cipher ignored, Mode mode, byte[] key, byte[] iv)
                    throws InvalidKeyException, InvalidAlgorithmParameterException {
                cipher = jdk("AES/CTR/NoPadding");
                super.initCipher(cipher, mode, key, iv);
            }
        });
    }

    private static javax.crypto.Cipher jdk(String transformation) {
        try {
            return javax.crypto.Cipher.getInstance(transformation, PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new SSHRuntimeException("the JDK has no " + transformation, e);
        }
    }

    private static Factory.Named<Cipher> factory(String name, java.util.function.Supplier<Cipher> create) {
        return new Factory.Named<>() {
            @Override
            public Cipher create() {
                return create.get();
            }

            @Override
            public String getName() {
                return name;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
