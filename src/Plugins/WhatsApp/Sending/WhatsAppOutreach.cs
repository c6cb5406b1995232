using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Sending;

/// <summary>
/// WhatsApp's customer service window: a free-form message only within 24 hours of the customer's last message; outside
/// it only an approved template. With a follow-up template configured (<see cref="WhatsAppOptions.FollowUpTemplate"/>, or
/// one per kind in <see cref="WhatsAppOptions.FollowUpTemplates"/>) the follow-up goes as its kind's template (the sender
/// sees the window closed); without any the gateway is told no and takes another channel. The gateway's question does not
/// carry the follow-up's kind: with templates for some kinds only and no default, a follow-up of another kind is
/// answered yes here and refused by Meta (131047) at the send.
/// </summary>
internal sealed class WhatsAppOutreach(TimeProvider time, IOptionsMonitor<WhatsAppOptions> options) : IChannelOutreach
{
    public static readonly TimeSpan CustomerServiceWindow = TimeSpan.FromHours(24);

    // A minute's margin: the message is queued and sent after this answer.
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    /// <summary>True while a free-form message to a customer who last wrote at <paramref name="lastCustomerMessageAt"/> may go.</summary>
    public static bool WindowOpen(DateTimeOffset? lastCustomerMessageAt, DateTimeOffset now) =>
        lastCustomerMessageAt is { } last && now - last < CustomerServiceWindow - Margin;

    public ValueTask<string?> CannotReachAsync(OutreachRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (WindowOpen(request.LastCustomerMessageAt, time.GetUtcNow()) || options.CurrentValue.HasFollowUpTemplate)
        {
            return ValueTask.FromResult<string?>(null);
        }

        return ValueTask.FromResult<string?>(request.LastCustomerMessageAt is null
            ? "the customer has never written on WhatsApp: only a template could reach them (none is configured as FollowUpTemplate or FollowUpTemplates)"
            : GraphError.WindowClosedReason);
    }
}
