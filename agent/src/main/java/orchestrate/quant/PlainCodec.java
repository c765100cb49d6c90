package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/** F32, F16 and BF16: one value per "block", rounded to nearest even where narrower than F32. */
final class PlainCodec implements BlockCodec {

    private final GgmlType type;

    PlainCodec(GgmlType type) {
        this.type = type;
    }

    @Override
    public GgmlType type() {
        return type;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int i = 0; i < count; i++) {
            float value = x[offset + i];
            switch (type) {
                case F32 -> LittleEndian.putInt(out, outOffset + 4 * i, Float.floatToRawIntBits(value));
                case F16 -> LittleEndian.putShort(out, outOffset + 2 * i, Half.fromFloat(value));
                default -> LittleEndian.putShort(out, outOffset + 2 * i, Half.toBf16(value));
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0; i < count; i++) {
            out[outOffset + i] = switch (type) {
                case F32 -> Float.intBitsToFloat(LittleEndian.getInt(in, inOffset + 4 * i));
                case F16 -> LittleEndian.getHalf(in, inOffset + 2 * i);
                default -> Half.fromBf16(LittleEndian.getShort(in, inOffset + 2 * i));
            };
        }
    }
}
