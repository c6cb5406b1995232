namespace ChatGateway.Gateway.Attachments;

/// <summary>
/// Where files' bytes live, by key. On the local disk by default (<see cref="DiskBlobStore"/>); a cluster of gateway
/// machines needs a store they share: an S3-compatible implementation of this interface (not written yet; see the README).
/// </summary>
internal interface IBlobStore
{
    /// <summary>Stores the file at <paramref name="path"/> (a finished temporary file, moved where it can be) under <paramref name="key"/>.</summary>
    Task PutFileAsync(string key, string path, CancellationToken cancellationToken);

    /// <summary>The bytes under <paramref name="key"/>, or null when there are none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>A folder for files being received, on the same volume as the store where that matters (a move, not a copy).</summary>
    string TemporaryFolder { get; }
}

/// <summary>Files in a folder, two levels of sub-folders by the key's first characters (no folder of a million entries).</summary>
internal sealed class DiskBlobStore : IBlobStore
{
    private readonly string _root;

    public DiskBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        TemporaryFolder = Path.Combine(_root, "incoming");
        Directory.CreateDirectory(TemporaryFolder);
    }

    public string TemporaryFolder { get; }

    public Task PutFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        var target = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(path, target, overwrite: true);
        return Task.CompletedTask;
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        // Keys are the gateway's own (32 hex digits); anything else never reaches the disk.
        if (key.Length != 32 || !key.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a blob key.", nameof(key));
        }

        return Path.Combine(_root, key[..2], key[2..4], key);
    }
}
