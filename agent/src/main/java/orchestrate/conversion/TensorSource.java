package orchestrate.conversion;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufValue;

/**
 * The tensors of a GGUF file to be written, from wherever they are (a safetensors checkpoint, an
 * existing GGUF), read as F32 rows. One source feeds every output of a single pass.
 */
public interface TensorSource extends AutoCloseable {

    /** A tensor in output order: GGUF name, dims (ne[0], the row length, first) and the source bytes it stands for. */
    record Tensor(String name, long[] dims, long sourceBytes, long freedWhenDone) {

        public long rowLength() {
            return dims[0];
        }

        public long rows() {
            long rows = 1;
            for (int i = 1; i < dims.length; i++) {
                rows *= dims[i];
            }
            return rows;
        }
    }

    /** Told when every tensor of a source file is in the outputs, so the file may go (to free disk). */
    interface FileDone {
        void file(String name) throws IOException;
    }

    /** The metadata of the file to write; general.file_type is among it and each output sets its own value. */
    Map<String, GgufValue> metadata();

    List<Tensor> tensors();

    /** Reads rows [firstRow, firstRow + rows) of {@code tensor} as floats into {@code out}. */
    void read(Tensor tensor, long firstRow, int rows, float[] out) throws IOException, GgufException;

    /**
     * Every output holds all of {@code tensor} now: the source may let go of what it no longer needs
     * (with delete-source, {@link Tensor#freedWhenDone()} bytes of files).
     */
    void done(Tensor tensor) throws IOException;

    @Override
    void close() throws IOException;
}
