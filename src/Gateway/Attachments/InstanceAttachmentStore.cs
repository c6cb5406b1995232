using ChatGateway.Abstractions;

namespace ChatGateway.Gateway.Attachments;

/// <summary>The attachment store one channel instance sees (its container's <see cref="IAttachmentStore"/>).</summary>
internal sealed class InstanceAttachmentStore(AttachmentService attachments, IConversationHistory history, string instanceId, AttachmentLimits limits) : IAttachmentStore
{
    public long MaxBytes => limits.MaxBytes;

    public Task<MessageAttachment> SaveAsync(Stream content, string? fileName, string? declaredContentType, CancellationToken cancellationToken) =>
        attachments.SaveAsync(instanceId, null, content, fileName, declaredContentType, limits, cancellationToken);

    public async Task<Stream?> OpenReadAsync(string attachmentId, CancellationToken cancellationToken) =>
        AttachmentService.TryParseId(attachmentId, out var id) && await attachments.FindAsync(id, cancellationToken) is { } row
            ? await attachments.OpenContentAsync(row, cancellationToken)
            : null;

    public async Task<(MessageAttachment Attachment, Stream Content)?> OpenForCustomerAsync(string externalId, string attachmentId, CancellationToken cancellationToken)
    {
        if (!AttachmentService.TryParseId(attachmentId, out var id) || await attachments.FindAsync(id, cancellationToken) is not { MessageId: { } messageId, ConversationId: { } conversationId } row)
        {
            return null;
        }

        // Exactly the files of the messages this customer's history shows them: their own, and the replies to them.
        var visible = await history.GetAsync(externalId, conversationId, cancellationToken);
        if (visible is null || !visible.Messages.Any(m => m.MessageId == messageId))
        {
            return null;
        }

        return await attachments.OpenContentAsync(row, cancellationToken) is { } content ? (AttachmentService.ToContract(row), content) : null;
    }
}

