using System.Net.Mail;

namespace ChatGateway.Plugins.Email;

/// <summary>How a connection to a mail server is secured.</summary>
internal enum MailSecurity
{
    /// <summary>Plain text; allowed with a password only to a loopback host.</summary>
    None,

    /// <summary>Plain connect, then STARTTLS (refused when the server does not offer it).</summary>
    StartTls,

    /// <summary>TLS from the first byte (IMAPS 993, SMTPS 465).</summary>
    Tls,
}

/// <summary>One mail server connection (<c>Imap:*</c> or <c>Smtp:*</c>).</summary>
internal record MailServerOptions
{
    public string Host { get; init; } = "";

    /// <summary>Null: the protocol's usual port for the security (IMAP 993/143, SMTP 465/587).</summary>
    public int? Port { get; init; }

    /// <summary>Null: by port (993 and 465 TLS, anything else STARTTLS).</summary>
    public MailSecurity? Security { get; init; }

    public string UserName { get; init; } = "";

    /// <summary>Secret: <c>Channels:{id}:Imap:Password</c> / <c>Channels:{id}:Smtp:Password</c> in the environment, never plugins.json.</summary>
    public string Password { get; init; } = "";

    /// <summary>How long to wait for the server to connect or answer one command.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The SHA-256 fingerprint (hex, colons allowed) of a server certificate to accept although no trusted authority
    /// signed it (a self-hosted server's own certificate). A certificate that validates normally is accepted anyway.
    /// </summary>
    public string? CertificateFingerprint { get; init; }

    /// <summary>The fingerprint as 64 lower-case hex digits, or null when none (or not one) is set.</summary>
    public string? NormalisedFingerprint
    {
        get
        {
            var hex = CertificateFingerprint?.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).Trim().ToLowerInvariant();
            return hex is { Length: 64 } && hex.All(char.IsAsciiHexDigit) ? hex : null;
        }
    }

    public MailSecurity SecurityFor(int port) => Security ?? (port is 993 or 465 ? MailSecurity.Tls : MailSecurity.StartTls);
}

/// <summary>The IMAP side: where customers' mail is read.</summary>
internal sealed record ImapOptions : MailServerOptions
{
    /// <summary>The folders to read; null or empty: INBOX. (An array, so that binding replaces rather than appends to a default.)</summary>
    public string[]? Folders { get; init; }

    /// <summary>How often to look for mail when the server has no IDLE (and how often other folders than the first are read).</summary>
    public int PollSeconds { get; init; } = 60;

    /// <summary>On the very first run (no cursor yet) mail delivered within this many days is imported; 0: only mail from now on.</summary>
    public int BackfillDays { get; init; } = 7;

    /// <summary>How long the mailbox lease is held before its holder must renew it; another gateway instance takes over after it.</summary>
    public int LeaseSeconds { get; init; } = 60;

    public int PortOrDefault => Port ?? (Security == MailSecurity.Tls || Security is null ? 993 : 143);

    public IReadOnlyList<string> FolderNames => Folders is { Length: > 0 } ? [.. Folders.Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f.Trim())] : ["INBOX"];

    public override string ToString() =>
        $"ImapOptions {{ Host = {Host}, Port = {PortOrDefault}, Security = {SecurityFor(PortOrDefault)}, UserName = {UserName}, Password = ***, "
        + $"Folders = [{string.Join(", ", FolderNames)}], PollSeconds = {PollSeconds}, BackfillDays = {BackfillDays}, LeaseSeconds = {LeaseSeconds} }}";
}

/// <summary>The SMTP side: where replies are submitted.</summary>
internal sealed record SmtpOptions : MailServerOptions
{
    public int PortOrDefault => Port ?? (Security == MailSecurity.Tls ? 465 : 587);

    public override string ToString() =>
        $"SmtpOptions {{ Host = {Host}, Port = {PortOrDefault}, Security = {SecurityFor(PortOrDefault)}, UserName = {UserName}, Password = *** }}";
}

/// <summary>Settings of one email instance, bound from its <c>plugins.json</c> entry and <c>Channels:{id}</c>.</summary>
internal sealed record EmailOptions
{
    public const int MaxMimeDepth = 20;

    public ImapOptions Imap { get; init; } = new();

    public SmtpOptions Smtp { get; init; } = new();

    /// <summary>The shop's address: replies come From it, and To/Cc it (with a <c>+token</c>) carry reply tokens back.</summary>
    public string Address { get; init; } = "";

    /// <summary>The name beside <see cref="Address"/> in From; also the subject of a message that has none.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Plain text appended to every message (after <c>-- </c>); its HTML version is made from it unless <see cref="SignatureHtml"/> is set.</summary>
    public string? Signature { get; init; }

    /// <summary>The signature's HTML version, as the shop writes it (trusted markup).</summary>
    public string? SignatureHtml { get; init; }

    /// <summary>Put the conversation's reply token in a plus address Reply-To (<c>shop+TOKEN@example.com</c>); the server must deliver plus addresses to the mailbox.</summary>
    public bool ReplyAddressTokens { get; init; }

    /// <summary>The authserv-id of the receiving server whose <c>Authentication-Results</c> header is believed (e.g. <c>mx.example.com</c>).</summary>
    public string? TrustAuthenticationResults { get; init; }

    /// <summary>Every From counts as verified: only for a mailbox behind a server that already refuses spoofed mail.</summary>
    public bool TrustAllSenders { get; init; }

    /// <summary>The longest Text handed to the gateway (it refuses longer ones; the whole body stays in Html).</summary>
    public int MaxTextLength { get; init; } = 9_000;

    /// <summary>The largest HTML body handed on, in characters; a larger one is left out with a line saying so.</summary>
    public int MaxHtmlLength { get; init; } = 1_000_000;

    public string AddressDomain => Address.Contains('@', StringComparison.Ordinal) ? Address[(Address.LastIndexOf('@') + 1)..].Trim().ToLowerInvariant() : "";

    public string AddressLocalPart => Address.Contains('@', StringComparison.Ordinal) ? Address[..Address.LastIndexOf('@')].Trim() : Address;

    internal static bool IsAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim() != value || !value.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        return MailAddress.TryCreate(value, out var parsed) && parsed.Address == value && string.IsNullOrEmpty(parsed.DisplayName);
    }
}
