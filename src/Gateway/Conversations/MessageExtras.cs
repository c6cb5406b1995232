using ChatGateway.Abstractions;
using ChatGateway.Gateway.Attachments;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>What messages carry beyond their text (content rows and files), read for a page of them in two queries.</summary>
internal static class MessageExtras
{
    public static async Task<(Dictionary<Guid, MessageContent> Contents, Dictionary<Guid, List<MessageAttachment>> Files)> LoadAsync(
        GatewayDbContext db, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return ([], []);
        }

        var contents = await db.MessageContents.AsNoTracking().Where(c => messageIds.Contains(c.MessageId)).ToDictionaryAsync(c => c.MessageId, cancellationToken);
        var files = await AttachmentService.OfMessagesAsync(db, messageIds, cancellationToken);
        return (contents, files.ToDictionary(f => f.Key, f => f.Value.Select(AttachmentService.ToContract).ToList()));
    }

    public static List<MessageDto> ToDtos(IEnumerable<Message> messages, Func<string, string?> channelType,
        (Dictionary<Guid, MessageContent> Contents, Dictionary<Guid, List<MessageAttachment>> Files) extras) =>
        messages.Select(m => m.ToDto(channelType, extras.Contents.GetValueOrDefault(m.Id), extras.Files.GetValueOrDefault(m.Id))).ToList();
}
