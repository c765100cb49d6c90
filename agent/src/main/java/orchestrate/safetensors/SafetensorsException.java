package orchestrate.safetensors;

/** A safetensors file or checkpoint that breaks a rule of the format, named with the file and tensor. */
public final class SafetensorsException extends Exception {

    public SafetensorsException(String file, String problem) {
        super(file + ": " + problem);
    }

    public SafetensorsException(String file, String tensor, String problem) {
        super(file + ": tensor '" + tensor + "' " + problem);
    }
}
