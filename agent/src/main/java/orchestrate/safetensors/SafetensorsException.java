package orchestrate.safetensors;

import orchestrate.text.OneLine;

/** A safetensors file or checkpoint that breaks a rule of the format, named with the file and tensor. */
public final class SafetensorsException extends Exception {

    public SafetensorsException(String file, String problem) {
        super(OneLine.of(file + ": " + problem));
    }

    public SafetensorsException(String file, String tensor, String problem) {
        super(OneLine.of(file + ": tensor '" + tensor + "' " + problem));
    }
}
