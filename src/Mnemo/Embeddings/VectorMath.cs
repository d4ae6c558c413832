using System.Numerics.Tensors;

namespace Mnemo.Embeddings;

/// <summary>Vector helpers over <see cref="TensorPrimitives"/> (SIMD).</summary>
public static class VectorMath
{
    /// <summary>Scales <paramref name="vector"/> to unit length; a zero vector stays zero.</summary>
    public static void NormalizeInPlace(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Cosine similarity of two unit vectors (their dot product).</summary>
    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    public static byte[] ToBytes(ReadOnlySpan<float> vector) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector).ToArray();

    public static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new InvalidDataException($"a stored vector of {bytes.Length} bytes is not a whole number of floats");
        }

        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
