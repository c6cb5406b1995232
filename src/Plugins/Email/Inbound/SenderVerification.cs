using MimeKit;
using MimeKit.Cryptography;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>
/// Whether a mail's From is proven: the receiving server named in <c>TrustAuthenticationResults</c> says in its
/// <c>Authentication-Results</c> header that DMARC passed, or that SPF or DKIM passed for a domain aligned with From's.
/// Only the topmost header with that authserv-id counts: the receiving server adds its header above everything the
/// message brought with it, so a header a sender forged further down never wins over it (and the server is expected to
/// remove such forgeries, RFC 8601 section 5).
/// </summary>
internal static class SenderVerification
{
    public static bool IsVerified(MimeMessage message, string fromAddress, EmailOptions options)
    {
        if (options.TrustAllSenders)
        {
            return true;
        }

        if (string.IsNullOrWhiteSpace(options.TrustAuthenticationResults))
        {
            return false;
        }

        var fromDomain = DomainOf(fromAddress);
        if (fromDomain is null)
        {
            return false;
        }

        foreach (var header in message.Headers)
        {
            if (header.Id != HeaderId.AuthenticationResults || !AuthenticationResults.TryParse(header.RawValue, out var results))
            {
                continue;
            }

            if (string.Equals(results.AuthenticationServiceIdentifier, options.TrustAuthenticationResults.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return Passes(results, fromDomain);
            }
        }

        return false;
    }

    private static bool Passes(AuthenticationResults results, string fromDomain)
    {
        foreach (var result in results.Results)
        {
            if (!string.Equals(result.Result, "pass", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            switch (result.Method?.ToLowerInvariant())
            {
                case "dmarc":
                    // header.from, when given, must be the From we read (DMARC is about exactly that domain).
                    var dmarcFrom = Property(result, "header", "from");
                    if (dmarcFrom is null || string.Equals(dmarcFrom, fromDomain, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }

                    break;
                case "dkim":
                    var signer = Property(result, "header", "d") ?? DomainOf(Property(result, "header", "i"));
                    if (Aligned(signer, fromDomain))
                    {
                        return true;
                    }

                    break;
                case "spf":
                    var mailFrom = Property(result, "smtp", "mailfrom");
                    if (Aligned(mailFrom is null ? null : DomainOf(mailFrom) ?? mailFrom, fromDomain))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>Relaxed alignment without a public suffix list: the same domain, or one a subdomain of the other (never a bare top-level domain).</summary>
    internal static bool Aligned(string? domain, string fromDomain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return false;
        }

        domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        fromDomain = fromDomain.ToLowerInvariant();
        if (!domain.Contains('.', StringComparison.Ordinal) || !fromDomain.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        return domain == fromDomain
            || fromDomain.EndsWith("." + domain, StringComparison.Ordinal)
            || domain.EndsWith("." + fromDomain, StringComparison.Ordinal);
    }

    private static string? Property(AuthenticationMethodResult result, string type, string name) =>
        result.Properties
            .FirstOrDefault(p => string.Equals(p.PropertyType, type, StringComparison.OrdinalIgnoreCase) && string.Equals(p.Property, name, StringComparison.OrdinalIgnoreCase))
            ?.Value?.Trim().Trim('"');

    internal static string? DomainOf(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        var at = address.LastIndexOf('@');
        var domain = (at >= 0 ? address[(at + 1)..] : "").Trim().TrimEnd('>').ToLowerInvariant();
        return domain.Length > 0 ? domain : null;
    }
}
