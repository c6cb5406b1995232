using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.Sms.Tests.Fakes;

internal sealed class RecordingDeliveryStatusSink : IDeliveryStatusSink
{
    private readonly ConcurrentQueue<DeliveryStatusUpdate> _updates = new();

    public IReadOnlyList<DeliveryStatusUpdate> Updates => [.. _updates];

    /// <summary>What ReportAsync answers: false means "unknown message id".</summary>
    public bool Known { get; set; } = true;

    public Task<bool> ReportAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken)
    {
        _updates.Enqueue(update);
        return Task.FromResult(Known);
    }
}
