namespace ChatGateway.Gateway.Ingest;

/// <summary>Normal forms of the keys that join one customer's identities into one contact.</summary>
internal static class ContactKeys
{
    /// <summary>Digits with an optional leading '+'; null when it has too few digits to be a phone number.</summary>
    public static string? NormalizePhone(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone))
        {
            return null;
        }

        var trimmed = phone.Trim();
        var digits = new string(trimmed.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length is < 5 or > 20)
        {
            return null;
        }

        if (trimmed.StartsWith("00", StringComparison.Ordinal))
        {
            return "+" + digits[2..];
        }

        return trimmed.StartsWith('+') ? "+" + digits : digits;
    }

    public static string? NormalizeEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return null;
        }

        var trimmed = email.Trim().ToLowerInvariant();
        var at = trimmed.IndexOf('@');
        return at > 0 && at < trimmed.Length - 1 && trimmed.Length <= 320 ? trimmed : null;
    }
}
