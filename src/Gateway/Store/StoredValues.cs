namespace ChatGateway.Gateway.Store;

/// <summary>How <see cref="GatewayDbContext"/> stores values, for the statements written by hand.</summary>
internal static class StoredValues
{
    /// <summary>The length of <see cref="WriteText(Guid, Span{byte})"/>'s text.</summary>
    public const int GuidTextLength = 36;

    /// <summary>A Guid as EF Core's SQLite provider stores it: upper-case text.</summary>
    public static string Text(Guid id) => string.Create(GuidTextLength, id, static (chars, id) =>
    {
        id.TryFormat(chars, out _, "D");
        foreach (ref var c in chars)
        {
            c = char.ToUpperInvariant(c);
        }
    });

    /// <summary>The same text as <see cref="Text(Guid)"/> in UTF-8, into <paramref name="utf8"/> (at least <see cref="GuidTextLength"/> bytes).</summary>
    public static void WriteText(Guid id, Span<byte> utf8)
    {
        id.TryFormat(utf8, out _, "D");
        foreach (ref var c in utf8[..GuidTextLength])
        {
            if (c >= (byte)'a')
            {
                c -= 'a' - 'A';
            }
        }
    }
}
