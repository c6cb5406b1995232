using System.Collections.Concurrent;
using System.Text;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// Test double of the gateway's attachment store: files in a temporary folder (deleted on dispose), a size limit, the type
/// read from the bytes for the formats it knows (PNG, JPEG, GIF, PDF, ZIP, Windows executables), and refused types.
/// </summary>
public sealed class TempFolderAttachmentStore : IAttachmentStore, IDisposable
{
    private readonly ConcurrentDictionary<string, MessageAttachment> _files = new(StringComparer.Ordinal);

    public TempFolderAttachmentStore(long maxBytes = 10 * 1024 * 1024, params string[] refusedTypes)
    {
        MaxBytes = maxBytes;
        RefusedTypes = refusedTypes.Length > 0 ? refusedTypes : ["application/x-msdownload"];
        _folder = new Lazy<string>(() => Directory.CreateTempSubdirectory("chatgateway-attachments-").FullName);
    }

    // Made at the first file: a container that never saves one (most plugin tests) leaves nothing behind, disposed or not.
    private readonly Lazy<string> _folder;

    public long MaxBytes { get; }

    public IReadOnlyCollection<string> RefusedTypes { get; }

    public string Folder => _folder.Value;

    /// <summary>Every file saved, in no particular order.</summary>
    public IReadOnlyList<MessageAttachment> Saved => [.. _files.Values];

    /// <summary>The bytes of a saved file.</summary>
    public byte[] ReadAllBytes(string attachmentId) => File.ReadAllBytes(PathOf(attachmentId));

    /// <summary>Saves a file as an agent's, for outbound tests.</summary>
    public Task<MessageAttachment> AddAsync(byte[] content, string fileName, string contentType, CancellationToken cancellationToken) =>
        SaveAsync(new MemoryStream(content), fileName, contentType, cancellationToken);

    public async Task<MessageAttachment> SaveAsync(Stream content, string? fileName, string? declaredContentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var id = Guid.NewGuid().ToString("N");
        var path = PathOf(id);
        long size = 0;
        var head = new byte[16];
        var headLength = 0;
        await using (var file = File.Create(path))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (headLength < head.Length)
                {
                    var take = Math.Min(head.Length - headLength, read);
                    Array.Copy(buffer, 0, head, headLength, take);
                    headLength += take;
                }

                size += read;
                if (size > MaxBytes)
                {
                    file.Close();
                    File.Delete(path);
                    throw new AttachmentRejectedException($"larger than {MaxBytes / (1024.0 * 1024):0.#} MB", tooLarge: true);
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        if (size == 0)
        {
            File.Delete(path);
            throw new AttachmentRejectedException("the file is empty");
        }

        var type = Sniff(head.AsSpan(0, headLength)) ?? (declaredContentType?.StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true ? declaredContentType.ToLowerInvariant() : "application/octet-stream");
        if (RefusedTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            File.Delete(path);
            throw new AttachmentRejectedException($"type {type} is not accepted");
        }

        var name = string.IsNullOrWhiteSpace(fileName) ? "file" : Path.GetFileName(fileName.Replace('\\', '/'));
        var attachment = new MessageAttachment { Id = id, FileName = name, ContentType = type, Size = size };
        _files[id] = attachment;
        return attachment;
    }

    public Task<Stream?> OpenReadAsync(string attachmentId, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(_files.ContainsKey(attachmentId) ? File.OpenRead(PathOf(attachmentId)) : null);

    public Task<(MessageAttachment Attachment, Stream Content)?> OpenForCustomerAsync(string externalId, string attachmentId, CancellationToken cancellationToken) =>
        Task.FromResult<(MessageAttachment, Stream)?>(_files.TryGetValue(attachmentId, out var attachment) ? (attachment, File.OpenRead(PathOf(attachmentId))) : null);

    public void Dispose()
    {
        if (!_folder.IsValueCreated)
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open; the temp folder is cleaned by the system.
        }
    }

    private string PathOf(string id) => Path.Combine(Folder, id.All(char.IsAsciiLetterOrDigit) ? id : throw new ArgumentException("bad id", nameof(id)));

    private static string? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "image/gif",
        [(byte)'%', (byte)'P', (byte)'D', (byte)'F', ..] => "application/pdf",
        [(byte)'P', (byte)'K', 3, 4, ..] => "application/zip",
        [(byte)'M', (byte)'Z', ..] => "application/x-msdownload",
        _ when head.Length > 0 && Encoding.UTF8.GetCharCount(head) > 0 && !head.Contains((byte)0) => null,
        _ => "application/octet-stream",
    };
}
