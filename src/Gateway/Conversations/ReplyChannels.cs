using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// The channels a reply to a contact can go out on: the contact's identities (each proven by its channel:
/// a provider-signed phone number, a shop-signed visitor) on running instances that send text. What a
/// customer typed (<see cref="Contact.DeclaredPhone"/>, <see cref="Contact.DeclaredEmail"/>) is never one.
/// </summary>
internal static class ReplyChannels
{
    public static async Task<List<(ChannelIdentity Identity, ReplyChannelDto Channel)>> ListAsync(
        GatewayDbContext db, ChannelRegistry channels, Conversation conversation, CancellationToken cancellationToken, DateTimeOffset? now = null)
    {
        var identities = await db.ChannelIdentities.AsNoTracking()
            .Where(i => i.ContactId == conversation.ContactId)
            .OrderBy(i => i.CreatedAt)
            .ToListAsync(cancellationToken);
        var usable = identities
            .Where(i => channels.TryGetRunning(i.InstanceId, out var channel) && channel.Plugin!.Capabilities.HasFlag(ChannelCapabilities.SendText))
            .ToList();
        var labels = usable.Select(i => Label(channels.ChannelTypeOf(i.InstanceId), i)).ToList();
        var result = new List<(ChannelIdentity, ReplyChannelDto)>(usable.Count);
        for (var n = 0; n < usable.Count; n++)
        {
            var identity = usable[n];
            var label = labels[n];
            var alike = usable.Where((_, k) => labels[k] == label).ToList();
            if (alike.Count > 1)
            {
                // One label for two identities (two browsers of one visitor, one number on two shop lines): tell them apart.
                label += alike.All(i => i.InstanceId == identity.InstanceId)
                    ? $" (…{identity.ExternalId[^Math.Min(6, identity.ExternalId.Length)..]})"
                    : $" ({identity.InstanceId})";
            }

            var isDefault = identity.InstanceId == conversation.LastInstanceId && identity.ExternalId == conversation.LastExternalId;
            var dto = new ReplyChannelDto(identity.Id, identity.InstanceId, channels.ChannelTypeOf(identity.InstanceId), label, isDefault);
            if (channels.TryGetRunning(identity.InstanceId, out var windowed) && windowed.Plugin!.ReplyWindow is { } window && now is { } at)
            {
                var last = await LastCustomerMessageAtAsync(db, conversation.Id, identity, cancellationToken);
                var closes = last + window;
                dto = dto with { Window = new ReplyWindowDto(window.TotalHours, closes, closes > at) };
            }

            result.Add((identity, dto));
        }

        return result;
    }

    /// <summary>
    /// When the customer last wrote in this conversation through this identity: along the conversation's chain of
    /// customer messages from the newest (inbound messages have no index by conversation), at most 200 back.
    /// </summary>
    private static async Task<DateTimeOffset?> LastCustomerMessageAtAsync(
        GatewayDbContext db, Guid conversationId, ChannelIdentity identity, CancellationToken cancellationToken)
    {
        var next = await db.InboundHeads.AsNoTracking().Where(h => h.ConversationId == conversationId).Select(h => (Guid?)h.LastMessageId).FirstOrDefaultAsync(cancellationToken);
        for (var step = 0; step < 200 && next is { } id; step++)
        {
            var message = await db.Messages.AsNoTracking().Where(m => m.Id == id)
                .Select(m => new { m.InstanceId, m.ExternalId, m.CreatedAt, m.PreviousInboundId })
                .FirstOrDefaultAsync(cancellationToken);
            if (message is null)
            {
                break;
            }

            if (message.InstanceId == identity.InstanceId && message.ExternalId == identity.ExternalId)
            {
                return message.CreatedAt;
            }

            next = message.PreviousInboundId;
        }

        return null;
    }

    /// <summary>Why an agent's answer cannot go out on this channel now (its reply window closed), or null.</summary>
    public static string? WindowRefuses(ReplyChannelDto channel) => channel.Window is { Open: false } window
        ? $"{TypeName(channel.ChannelType)} takes free-form answers only within {window.Hours:0.#} hours of the customer's last message there"
            + (window.ClosesAt is { } closed ? $" (closed {closed:yyyy-MM-dd HH:mm} UTC)" : " (they have not written there)")
            + "; reply on another of the customer's channels (via), or wait for them to write"
        : null;

    private static string Label(string? channelType, ChannelIdentity identity) => channelType switch
    {
        "sms" => "SMS " + identity.ExternalId,
        "webchat" => "Web chat",
        "email" => "Email " + identity.ExternalId,
        "whatsapp" => "WhatsApp " + identity.ExternalId,
        "line" => "LINE",
        "telegram" => "Telegram",
        "wechat" => "WeChat",
        _ => (channelType ?? identity.InstanceId) + " " + identity.ExternalId,
    };

    /// <summary>A short name of a channel type for people: "SMS", "web chat".</summary>
    public static string TypeName(string? channelType) => channelType switch
    {
        "sms" => "SMS",
        "webchat" => "web chat",
        "email" => "email",
        "whatsapp" => "WhatsApp",
        "line" => "LINE",
        "telegram" => "Telegram",
        "wechat" => "WeChat",
        _ => channelType ?? "another channel",
    };
}
