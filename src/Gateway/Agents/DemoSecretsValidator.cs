using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Outside Development (and the test suite's "Testing"), refuses to start with the demo agents' password
/// or the placeholder secrets (SMS token, web chat identity secret, order events secret) that ship in appsettings.Development.json: everyone knows them.
/// </summary>
internal sealed class DemoSecretsValidator(IHostEnvironment environment, IConfiguration configuration) : IValidateOptions<AgentsOptions>
{
    public const string DemoPassword = "demo-password";
    public const string PlaceholderToken = "dev-only-placeholder-token";

    /// <summary>The placeholders appsettings.Development.json ships (the SMS auth token, the demo shop's identity secret).</summary>
    public static readonly string[] Placeholders = [PlaceholderToken, "dev-only-placeholder-identity-secret-0123456789", PlaceholderOrdersSecret];

    /// <summary>The demo order events' signing secret (base64 of "dev-only-placeholder-order-events-secret").</summary>
    public const string PlaceholderOrdersSecret = "whsec_ZGV2LW9ubHktcGxhY2Vob2xkZXItb3JkZXItZXZlbnRzLXNlY3JldA==";

    /// <summary>The demo hashes shipped in appsettings.Development.json (alice, bob, carol).</summary>
    private static readonly HashSet<string> DemoHashes =
    [
        "pbkdf2-sha256$210000$I2aylcunUr1C2ZIydtKuQg==$kMIgl71IQT/UJ9ORopIZboiio6DLxJRkubt4dZbiO/o=",
        "pbkdf2-sha256$210000$xilEfNa6Sfmwm+K7BEEEow==$78bOfdX9rx3VXI9tjYzWyZLgv3DTqUanJKOfLciWGgo=",
        "pbkdf2-sha256$210000$LUi8L6rr897gt7+puctZLw==$Wp4bDQ1ux6Gk4Egyh3PmAZ4SqirnDA/QCwSYYd7gkuQ=",
    ];

    public static bool AllowsDemoSecrets(IHostEnvironment environment) => environment.IsDevelopment() || environment.IsEnvironment("Testing");

    public ValidateOptionsResult Validate(string? name, AgentsOptions options)
    {
        if (AllowsDemoSecrets(environment))
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        for (var i = 0; i < options.Seed.Count; i++)
        {
            var hash = options.Seed[i].PasswordHash;
            if (DemoHashes.Contains(hash) || (PasswordHasher.IsHash(hash) && PasswordHasher.Verify(DemoPassword, hash)))
            {
                errors.Add($"Agents:Seed:{i}:PasswordHash is the demo password ('{DemoPassword}'), which must not be used outside Development (environment '{environment.EnvironmentName}'). Remove the seed, or set a hash of a real password ('hash-password'), or create agents with 'create-agent'.");
            }
        }

        foreach (var channel in configuration.GetSection("Channels").GetChildren())
        {
            foreach (var setting in channel.GetChildren().Where(s => s.Value is not null && Placeholders.Contains(s.Value)))
            {
                errors.Add($"Channels:{channel.Key}:{setting.Key} is the placeholder '{setting.Value}', which must not be used outside Development (environment '{environment.EnvironmentName}'). Set the real secret, e.g. environment variable Channels__{channel.Key}__{setting.Key}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
