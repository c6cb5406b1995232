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
        GatewayDbContext db, ChannelHost channels, Conversation conversation, CancellationToken cancellationToken)
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
            result.Add((identity, new ReplyChannelDto(identity.Id, identity.InstanceId, channels.ChannelTypeOf(identity.InstanceId), label, isDefault)));
        }

        return result;
    }

    private static string Label(string? channelType, ChannelIdentity identity) => channelType switch
    {
        "sms" => "SMS " + identity.ExternalId,
        "webchat" => "Web chat",
        "email" => "Email " + identity.ExternalId,
        "whatsapp" => "WhatsApp " + identity.ExternalId,
        _ => (channelType ?? identity.InstanceId) + " " + identity.ExternalId,
    };

    /// <summary>A short name of a channel type for people: "SMS", "web chat".</summary>
    public static string TypeName(string? channelType) => channelType switch
    {
        "sms" => "SMS",
        "webchat" => "web chat",
        "email" => "email",
        "whatsapp" => "WhatsApp",
        _ => channelType ?? "another channel",
    };
}
