using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>Records the delivery reports a channel passes on.</summary>
public sealed class RecordingDeliveryStatusSink : IDeliveryStatusSink
{
    private readonly ConcurrentQueue<DeliveryStatusUpdate> _updates = new();

    public IReadOnlyList<DeliveryStatusUpdate> Updates => [.. _updates];

    public Task<bool> ReportAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        _updates.Enqueue(update);
        return Task.FromResult(true);
    }
}
