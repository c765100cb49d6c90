package orchestrate.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import orchestrate.conversion.SinglePass;
import orchestrate.conversion.TensorSource;
import orchestrate.gguf.GgmlType;

/** A GGUF an earlier step of the plan writes, known by its tensors and metadata: enough to plan what reads it. */
final class PlannedGguf implements TensorSource {

    private final Map<String, orchestrate.gguf.GgufValue> metadata;
    private final List<Tensor> tensors = new ArrayList<>();

    PlannedGguf(TensorSource from, SinglePass.Output written) {
        metadata = written.metadata();
        for (int i = 0; i < from.tensors().size(); i++) {
            Tensor tensor = from.tensors().get(i);
            GgmlType type = written.types().get(i);
            tensors.add(new Tensor(tensor.name(), tensor.dims(), type.bytesFor(tensor.rowLength() * tensor.rows()), 0));
        }
    }

    @Override
    public Map<String, orchestrate.gguf.GgufValue> metadata() {
        return metadata;
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public void read(Tensor tensor, long firstRow, int rows, float[] out) {
        throw new UnsupportedOperationException("a planned file has no data");
    }

    @Override
    public void done(Tensor tensor) {
    }

    @Override
    public void close() {
    }
}
