using System.Globalization;
using System.Security.Cryptography;

namespace ChatGateway.Gateway;

/// <summary>
/// This gateway process among the instances that share one store and one Redis: an id made at start and never
/// reused, so a lease or a row it writes (a claimed send, its health probe) names exactly one living process.
/// A restarted process is a new instance: what the old one held expires with its lease.
/// </summary>
internal sealed class GatewayInstance
{
    /// <summary>Readable where it came from (machine, process id) and unique by its random part; at most 64 characters.</summary>
    public string Id { get; } = string.Create(CultureInfo.InvariantCulture,
        $"{Truncate(Environment.MachineName, 40)}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
