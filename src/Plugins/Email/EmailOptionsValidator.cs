using System.Net;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Email;

/// <summary>Reports every bad or missing setting at once, each naming its key.</summary>
internal sealed class EmailOptionsValidator(ChannelInstance instance) : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        ValidateServer("Imap", options.Imap, options.Imap.PortOrDefault, userRequired: true, errors);
        ValidateServer("Smtp", options.Smtp, options.Smtp.PortOrDefault, userRequired: false, errors);

        if (options.Imap.PollSeconds is < 5 or > 3600)
        {
            errors.Add("Imap:PollSeconds must be between 5 and 3600");
        }

        if (options.Imap.BackfillDays is < 0 or > 365)
        {
            errors.Add("Imap:BackfillDays must be between 0 and 365");
        }

        if (options.Imap.LeaseSeconds is < 5 or > 3600)
        {
            errors.Add("Imap:LeaseSeconds must be between 5 and 3600");
        }

        if (string.IsNullOrWhiteSpace(options.Address))
        {
            errors.Add("Address is required (the shop's email address, e.g. support@shop.example)");
        }
        else if (!EmailOptions.IsAddress(options.Address))
        {
            errors.Add("Address must be a plain email address such as support@shop.example (the name goes in DisplayName)");
        }
        else if (options.ReplyAddressTokens && options.AddressLocalPart.Contains('+', StringComparison.Ordinal))
        {
            errors.Add("Address must not contain '+' when ReplyAddressTokens is on (the token is added after a '+')");
        }

        if (options.DisplayName is { } displayName && displayName.Any(char.IsControl))
        {
            errors.Add("DisplayName must not contain control characters");
        }

        if (options.TrustAuthenticationResults is { } authservId && (authservId.Trim().Length == 0 || authservId.Any(char.IsWhiteSpace)))
        {
            errors.Add("TrustAuthenticationResults must be the receiving server's authserv-id, one word such as mx.shop.example");
        }

        if (options.MaxTextLength < 100)
        {
            errors.Add("MaxTextLength must be at least 100");
        }

        if (options.MaxHtmlLength < 1000)
        {
            errors.Add("MaxHtmlLength must be at least 1000");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateServer(string prefix, MailServerOptions server, int port, bool userRequired, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(server.Host))
        {
            errors.Add($"{prefix}:Host is required");
        }
        else if (Uri.CheckHostName(server.Host) == UriHostNameType.Unknown)
        {
            errors.Add($"{prefix}:Host must be a host name or an IP address");
        }

        if (port is < 1 or > 65535)
        {
            errors.Add($"{prefix}:Port must be between 1 and 65535");
        }

        if (server.Security is { } security && !Enum.IsDefined(security))
        {
            errors.Add($"{prefix}:Security must be None, StartTls or Tls");
        }

        if (userRequired && string.IsNullOrWhiteSpace(server.UserName))
        {
            errors.Add($"{prefix}:UserName is required");
        }

        var passwordNeeded = userRequired || !string.IsNullOrWhiteSpace(server.UserName);
        if (passwordNeeded && string.IsNullOrEmpty(server.Password))
        {
            errors.Add($"{prefix}:Password is required (set the environment variable Channels__{instance.Id}__{prefix}__Password; never write it in plugins.json)");
        }

        if (passwordNeeded && server.SecurityFor(port) == MailSecurity.None && !string.IsNullOrWhiteSpace(server.Host) && !IsLoopback(server.Host))
        {
            errors.Add($"{prefix}:Security None would send the password unencrypted; use StartTls or Tls (None is allowed only for a loopback host)");
        }

        if (!string.IsNullOrWhiteSpace(server.CertificateFingerprint) && server.NormalisedFingerprint is null)
        {
            errors.Add($"{prefix}:CertificateFingerprint must be the certificate's SHA-256 fingerprint: 64 hex digits, colons allowed");
        }

        if (server.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:Timeout must be greater than 0");
        }
        else if (server.Timeout > TimeSpan.FromMinutes(10))
        {
            // MailKit takes the timeout in milliseconds as an int; longer is no use for one command anyway.
            errors.Add($"{prefix}:Timeout must be at most 00:10:00, not {server.Timeout}");
        }
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
