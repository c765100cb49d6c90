package orchestrate.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import orchestrate.gguf.GgmlType;

/**
 * {@link Q8_0}, a block's 32 values in vectors: the largest magnitude (a maximum, whatever its
 * order), then each value times 1/d rounded half away from zero as {@link Rounding#halfAwayFromZero}
 * rounds below 2^22. A block whose largest magnitude is not finite takes the scalar path.
 */
final class VectorQ8_0 implements BlockCodec {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED; // 4, 8 or 16 lanes: a whole number of vectors a block
    private static final int LANES = F.length();

    private final float[] lanes = new float[LANES];
    private final Q8_0 scalar = new Q8_0();

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += 34) {
            FloatVector largest = FloatVector.fromArray(F, x, block).abs();
            for (int j = LANES; j < 32; j += LANES) {
                largest = largest.max(FloatVector.fromArray(F, x, block + j).abs());
            }
            float amax = largest.reduceLanes(VectorOperators.MAX);
            if (!(amax < Float.POSITIVE_INFINITY)) {
                Q8_0.quantizeBlock(x, block, out, o); // NaN or infinity
                continue;
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putHalf(out, o, d);
            for (int j = 0; j < 32; j += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, block + j).mul(id);
                FloatVector magnitude = v.abs();
                FloatVector nearest = magnitude.add(12582912f).sub(12582912f);
                nearest = nearest.blend(nearest.add(1f), magnitude.sub(nearest).eq(0.5f)); // an exact half goes up
                // Signed, as a float whose low byte is the level (two's complement within the mantissa)
                nearest.blend(nearest.neg(), v.lt(0f)).add(12582912f).intoArray(lanes, 0);
                for (int l = 0; l < LANES; l++) {
                    out[o + 2 + j + l] = (byte) Float.floatToRawIntBits(lanes[l]);
                }
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        scalar.dequantize(in, inOffset, count, out, outOffset);
    }
}
