namespace Mnemo.Indexing;

/// <summary>Keeps the k best-scoring items seen, with a min-heap.</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<long, float> _heap = new(k + 1);

    public float Threshold => _heap.Count < k ? float.NegativeInfinity : _heap.TryPeek(out _, out var worst) ? worst : float.NegativeInfinity;

    public void Offer(long id, float score)
    {
        if (_heap.Count < k)
        {
            _heap.Enqueue(id, score);
        }
        else if (score > Threshold)
        {
            _heap.EnqueueDequeue(id, score);
        }
    }

    public void Merge(TopK other)
    {
        while (other._heap.TryDequeue(out var id, out var score))
        {
            Offer(id, score);
        }
    }

    public List<VectorMatch> ToSortedList()
    {
        var result = new List<VectorMatch>(_heap.Count);
        foreach (var (id, score) in _heap.UnorderedItems)
        {
            result.Add(new VectorMatch(id, score));
        }

        result.Sort((a, b) => b.Similarity != a.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Id.CompareTo(b.Id));
        return result;
    }
}
