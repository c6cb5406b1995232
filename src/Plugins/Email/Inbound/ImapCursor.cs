using System.Globalization;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>
/// How far a folder has been read: its UIDVALIDITY and the last UID handed on (accepted, reported or skipped). Kept in the
/// instance's channel state as <c>{UidValidity}:{LastUid}</c> under <see cref="KeyFor"/>.
/// </summary>
internal sealed record ImapCursor(uint UidValidity, uint LastUid)
{
    public static string KeyFor(string folder) => $"imap:{folder}:cursor";

    public static string SkippedKeyFor(string folder) => $"imap:{folder}:skipped";

    public static ImapCursor? Parse(string? value)
    {
        var parts = value?.Split(':');
        return parts is [var validity, var last]
            && uint.TryParse(validity, NumberStyles.None, CultureInfo.InvariantCulture, out var uidValidity)
            && uint.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var lastUid)
            ? new ImapCursor(uidValidity, lastUid)
            : null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{UidValidity}:{LastUid}");
}
