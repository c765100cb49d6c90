package orchestrate.conversion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import orchestrate.quant.BlockCodec;

/**
 * An existing GGUF (typically our own F16 or BF16 conversion) as a source: its metadata is carried
 * over and its tensors are decoded to F32 whatever their type.
 */
public final class GgufSource implements TensorSource {

    private final GgufFile file;
    private final FileChannel channel;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
    private final FileDone finished;
    private final Map<GgmlType, BlockCodec> codecs = new java.util.EnumMap<>(GgmlType.class);
    private byte[] buffer = new byte[0];

    /** @param finished told when every tensor is written, so the file may be deleted; null keeps it */
    public GgufSource(Path path, FileDone finished) throws IOException, GgufException {
        this.file = GgufFile.read(path);
        this.finished = finished;
        file.metadata().forEach((key, value) -> {
            if (!key.equals("general.quantization_version") && !key.equals("general.alignment")) {
                metadata.put(key, value);
            }
        });
        metadata.putIfAbsent("general.file_type", GgufValue.uint32(0));
        List<GgufTensorInfo> all = file.tensors();
        for (int i = 0; i < all.size(); i++) {
            GgufTensorInfo info = all.get(i);
            if (!BlockCodec.supports(info.type())) {
                throw new GgufException(path.getFileName() + ": tensor " + info.name() + " is " + info.type() + ", which quantize cannot read");
            }
            infos.put(info.name(), info);
            boolean last = i == all.size() - 1;
            tensors.add(new Tensor(info.name(), info.dims(), info.bytes(), last && finished != null ? file.fileSize() : 0));
        }
        this.channel = FileChannel.open(path);
    }

    @Override
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public void read(Tensor tensor, long firstRow, int rows, float[] out) throws IOException, GgufException {
        GgufTensorInfo info = infos.get(tensor.name());
        long rowBytes = info.type().bytesFor(tensor.rowLength());
        int length = (int) (rowBytes * rows);
        if (buffer.length < length) {
            buffer = new byte[length];
        }
        ByteBuffer target = ByteBuffer.wrap(buffer, 0, length);
        long position = file.dataStart() + info.offset() + firstRow * rowBytes;
        while (target.hasRemaining()) {
            if (channel.read(target, position + target.position()) < 0) {
                throw new GgufException(file.path().getFileName() + " ends inside " + tensor.name());
            }
        }
        codecs.computeIfAbsent(info.type(), BlockCodec::of).dequantize(buffer, 0, (int) (tensor.rowLength() * rows), out, 0);
    }

    @Override
    public void done(Tensor tensor) throws IOException {
        if (tensor.freedWhenDone() > 0) {
            channel.close();
            finished.file(file.path().getFileName().toString());
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
