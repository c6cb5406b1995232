using System.Security.Cryptography;
using System.Text;
using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>Channel keys derived from a fixed secret, as the gateway derives them from its stored master secret.</summary>
public sealed class FixedChannelKeys(string instanceId, string secret = "test-master-secret") : IChannelKeys
{
    public byte[] GetKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, salt: [], info: Encoding.UTF8.GetBytes($"chatgateway/channel/{instanceId}/{purpose}"));
}
