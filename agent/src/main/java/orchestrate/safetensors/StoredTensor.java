package orchestrate.safetensors;

/**
 * A tensor and where its bytes are.
 *
 * @param file      the shard, relative to the checkpoint
 * @param dataStart where that shard's data section begins
 */
public record StoredTensor(String file, TensorEntry entry, long dataStart) {

    /** The absolute offset of the tensor's first byte in its file. */
    public long offset() {
        return dataStart + entry.begin();
    }
}
