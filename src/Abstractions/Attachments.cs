namespace ChatGateway.Abstractions;

/// <summary>
/// A file a message carries (a photo of the damage, a PDF invoice, an email attachment), kept in the gateway's
/// blob store and referred to by <see cref="Id"/>. A channel gets one from <see cref="IAttachmentStore.SaveAsync"/>
/// and puts it in <see cref="InboundMessage.Attachments"/>; the gateway hands the agent's files to a channel in
/// <see cref="OutboundMessage.Attachments"/>, read with <see cref="IAttachmentStore.OpenReadAsync"/>.
/// </summary>
public sealed record MessageAttachment
{
    /// <summary>The gateway's id of the stored file: random, not guessable, and never enough on its own to read it.</summary>
    public required string Id { get; init; }

    /// <summary>The file's name as the sender gave it, cleaned of paths and control characters.</summary>
    public required string FileName { get; init; }

    /// <summary>The content type, as the gateway read it from the file's bytes (never only from the name or the sender's claim).</summary>
    public required string ContentType { get; init; }

    /// <summary>The size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>For an image an HTML body shows inline (<c>cid:</c> in email): its content id, without angle brackets; null otherwise.</summary>
    public string? ContentId { get; init; }
}

/// <summary>
/// The gateway's store of files, as one channel instance sees it (each instance's container has its own). Files are
/// checked as they are saved: against the instance's size limit (its <c>Attachments:MaxBytes</c> setting within the
/// plugin's <see cref="IChannelPlugin.MaxAttachmentBytes"/>) and its allowed types (<c>Attachments:AllowedTypes</c>),
/// with the type read from the bytes.
/// </summary>
public interface IAttachmentStore
{
    /// <summary>The largest file this instance takes, in bytes.</summary>
    long MaxBytes { get; }

    /// <summary>
    /// Stores a file a customer sent, before the message carrying it is given to <see cref="IInboundSink.AcceptAsync"/>.
    /// The stream is read to its end (or until it passes <see cref="MaxBytes"/>). A file no message takes within a day is deleted.
    /// </summary>
    /// <param name="content">The file's bytes.</param>
    /// <param name="fileName">The name the sender gave it (may be null or a path; it is cleaned).</param>
    /// <param name="declaredContentType">The type the sender claimed; only used where the bytes cannot tell (plain text).</param>
    /// <param name="cancellationToken">Cancels the upload; nothing is kept.</param>
    /// <exception cref="AttachmentRejectedException">Too large, empty, or of a type this instance does not take; nothing was kept.</exception>
    Task<MessageAttachment> SaveAsync(Stream content, string? fileName, string? declaredContentType, CancellationToken cancellationToken);

    /// <summary>Opens a stored file to send it (an agent's file in <see cref="OutboundMessage.Attachments"/>). Null when there is no such file.</summary>
    Task<Stream?> OpenReadAsync(string attachmentId, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a file for the customer with this external id on this instance, but only when it is on a message of a
    /// conversation they took part in (their own photo, the agent's file to them); otherwise null, so a channel can
    /// answer 404 and ids of others cannot be probed.
    /// </summary>
    Task<(MessageAttachment Attachment, Stream Content)?> OpenForCustomerAsync(string externalId, string attachmentId, CancellationToken cancellationToken);
}

/// <summary>Thrown by <see cref="IAttachmentStore.SaveAsync"/> when a file is refused; nothing was kept.</summary>
public sealed class AttachmentRejectedException : Exception
{
    /// <summary>Creates the exception with a reason fit to show the sender ("larger than 10 MB", "type text/html is not accepted").</summary>
    public AttachmentRejectedException(string reason, bool tooLarge = false) : base(reason) => TooLarge = tooLarge;

    /// <summary>True when the file was refused for its size (HTTP 413), false for its type or content (HTTP 415 / 400).</summary>
    public bool TooLarge { get; }
}
