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
        // Outside the window only a template goes: the one for this follow-up's kind (or the default); a gateway that does
        // not name the kind gets yes when any template is configured.
        var o = options.CurrentValue;
        var template = request.FollowUpKind is { } kind ? o.FollowUpTemplateFor(kind) is not null : o.HasFollowUpTemplate;
        if (WindowOpen(request.LastCustomerMessageAt, time.GetUtcNow()) || template)
        {
            return ValueTask.FromResult<string?>(null);
        }

        var missing = request.FollowUpKind is { } named ? $"FollowUpTemplates:{named} or FollowUpTemplate" : "FollowUpTemplate or FollowUpTemplates";
        return ValueTask.FromResult<string?>(request.LastCustomerMessageAt is null
            ? $"the customer has never written on WhatsApp: only a template could reach them (none is configured as {missing})"
            : request.FollowUpKind is null ? GraphError.WindowClosedReason : $"{GraphError.WindowClosedReason} (no template for {request.FollowUpKind}: set {missing})");
    }
}
