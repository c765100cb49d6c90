package orchestrate.safetensors;

import java.io.IOException;
import java.util.List;

/** The files of a checkpoint, wherever they are (a local directory; a Hub repository over HTTP). */
public interface CheckpointFiles {

    /** How messages name the checkpoint, e.g. a directory. */
    String name();

    /** Every file name (relative, '/' separated). */
    List<String> list() throws IOException;

    ByteSource open(String file) throws IOException;
}
