using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WhatsApp.Sending;

/// <summary>
/// WhatsApp's customer service window: a free-form message only within 24 hours of the customer's last message; outside
/// it only an approved template, which this plugin does not send yet. The gateway takes another channel when told no.
/// </summary>
internal sealed class WhatsAppOutreach(TimeProvider time) : IChannelOutreach
{
    public static readonly TimeSpan CustomerServiceWindow = TimeSpan.FromHours(24);

    public ValueTask<string?> CannotReachAsync(OutreachRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.LastCustomerMessageAt is not { } last)
        {
            return ValueTask.FromResult<string?>("the customer has never written on WhatsApp: only a template could reach them (not configured)");
        }

        // A minute's margin: the message is queued and sent after this answer.
        return ValueTask.FromResult(time.GetUtcNow() - last >= CustomerServiceWindow - TimeSpan.FromMinutes(1)
            ? GraphError.WindowClosedReason
            : null);
    }
}
