using Mnemo.Embeddings;
using Mnemo.Indexing;

namespace Mnemo;

/// <summary>
/// The parts of the engine that live in assemblies of their own because of their weight (model
/// files, native code): a host plugs in those it ships. The builder's <c>WithOnnxEmbeddings()</c>
/// and store steps fill it; tests and benchmarks pass it to <see cref="MemoryEngine.OpenAsync"/>.
/// </summary>
/// <param name="LocalModels">Runs the bundled embedding models (Mnemo.Onnx), needed when the settings name one and no embedder is given.</param>
/// <param name="ApproximateIndex">The index large stores switch to (Mnemo.USearch); without it the exact index serves every size.</param>
public sealed record EnginePlugins(LocalEmbedderFactory? LocalModels = null, IApproximateIndexFactory? ApproximateIndex = null)
{
    public static EnginePlugins None { get; } = new();
}
