// Pinned — how a span crosses into a parallel loop body.
//
// A Span<T> cannot be stored in a field, a tuple or a closure, so a kernel that hands a span to
// Parallelism.For pins it (`fixed`) and passes its address and length instead; each chunk turns
// them back into a span. The pin must outlive the loop: create Pinned values inside the `fixed`
// block that encloses the For call (For returns only after every chunk has finished).
//
//     fixed (float* px = x, py = y)
//         Parallelism.For(n, minChunk, (X: new Pinned<float>(px, x.Length), Y: new Pinned<float>(py, y.Length)),
//             static (st, start, end) => Kernel(st.X.Span, st.Y.Span, start, end));

namespace FusionScratch.Kernels;

/// <summary>The address and length of a pinned span, to pass as loop state; <see cref="Span"/> rebuilds it.</summary>
public readonly unsafe struct Pinned<T> where T : unmanaged
{
    private readonly T* _pointer;

    public int Length { get; }

    /// <summary>Wraps <paramref name="length"/> elements at <paramref name="pointer"/>, which the caller keeps pinned while this value is in use.</summary>
    public Pinned(T* pointer, int length)
    {
        _pointer = pointer;
        Length = length;
    }

    public Span<T> Span => new(_pointer, Length);
}
