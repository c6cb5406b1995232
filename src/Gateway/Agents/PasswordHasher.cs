using System.Security.Cryptography;

namespace ChatGateway.Gateway.Agents;

/// <summary>PBKDF2-SHA256 password hashes: <c>pbkdf2-sha256$iterations$salt$hash</c> (Base64).</summary>
internal static class PasswordHasher
{
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's current guidance for PBKDF2-HMAC-SHA256. Hashes with fewer are re-hashed at the next sign-in.</summary>
    public const int Iterations = 600_000;

    /// <summary>What an unknown user name is checked against, so it costs as much as a wrong password.</summary>
    private static readonly Lazy<string> Dummy = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(18))));

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool IsHash(string? value) => value is not null && TryParse(value, out _, out _, out _);

    public static bool Verify(string password, string stored) => Verify(password, stored, out _);

    /// <summary>Checks a password; <paramref name="needsRehash"/> says the hash is weaker than <see cref="Iterations"/>.</summary>
    public static bool Verify(string password, string stored, out bool needsRehash)
    {
        needsRehash = false;
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        needsRehash = iterations < Iterations;
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Runs the same work as checking a real agent's password, and fails.</summary>
    public static bool VerifyUnknown(string password)
    {
        Verify(password, Dummy.Value, out _);
        return false;
    }

    /// <summary>The iteration count of a stored hash (0 when it is not one).</summary>
    public static int IterationsOf(string stored) => TryParse(stored, out var iterations, out _, out _) ? iterations : 0;

    private static bool TryParse(string value, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = value.Split('$');
        try
        {
            if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out iterations) || iterations < 10_000)
            {
                return false;
            }

            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
            return salt.Length >= 16 && hash.Length >= 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
