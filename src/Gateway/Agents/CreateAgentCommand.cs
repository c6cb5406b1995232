using System.Text;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// <c>create-agent --user NAME --role supervisor|agent --skills a,b [--name "Display"] [--max-concurrent N]</c>:
/// migrates the store and adds an agent whose password is read from standard input (never the command
/// line, which other users of the machine can see), so a gateway without demo agents gets its first one.
/// </summary>
internal static class CreateAgentCommand
{
    public const string Usage = "usage: ChatGateway.Gateway create-agent --user NAME [--role agent|supervisor] [--skills pre-sale,vip] [--name \"Display name\"] [--max-concurrent 5]   (the password is read from standard input)";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextReader input, TextWriter output, CancellationToken ct)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                await output.WriteLineAsync($"unexpected argument '{args[i]}'.{Environment.NewLine}{Usage}");
                return 2;
            }

            values[args[i][2..]] = args[++i];
        }

        var errors = new List<string>();
        var unknown = values.Keys.Except(["user", "role", "skills", "name", "max-concurrent"], StringComparer.OrdinalIgnoreCase).ToList();
        errors.AddRange(unknown.Select(k => $"unknown option --{k}"));
        var userName = values.GetValueOrDefault("user")?.Trim() ?? "";
        var role = values.GetValueOrDefault("role") ?? AgentRoles.Agent;
        var skills = (values.GetValueOrDefault("skills") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList();
        var maxConcurrent = 5;
        if (values.TryGetValue("max-concurrent", out var max) && !int.TryParse(max, out maxConcurrent))
        {
            errors.Add("--max-concurrent must be a number");
        }

        var routing = services.GetRequiredService<IOptions<RoutingOptions>>().Value;
        var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
        errors.AddRange(AgentRules.Check(userName, role, skills, maxConcurrent, routing.Skills, "--user", "--role", "--skills", "--max-concurrent"));
        if (errors.Count > 0)
        {
            await output.WriteLineAsync(string.Join(Environment.NewLine, errors) + Environment.NewLine + Usage);
            return 2;
        }

        var password = await ReadPasswordAsync(input, output);
        var passwordError = AgentRules.CheckPassword(password, userName, auth.MinPasswordLength);
        if (passwordError is not null)
        {
            await output.WriteLineAsync(passwordError);
            return 2;
        }

        var dbFactory = services.GetRequiredService<IDbContextFactory<GatewayDbContext>>();
        var store = services.GetRequiredService<IOptions<StoreOptions>>().Value;
        var folder = Path.GetDirectoryName(store.DatabaseFile);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await StartupInitializer.MigrateAsync(db, ct);
        if (await db.Agents.AnyAsync(a => a.UserName == userName, ct))
        {
            await output.WriteLineAsync($"an agent named '{userName}' exists already; a supervisor can reset its password in the desk.");
            return 1;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        db.Agents.Add(new Agent
        {
            Id = Guid.NewGuid(),
            UserName = userName,
            DisplayName = string.IsNullOrWhiteSpace(values.GetValueOrDefault("name")) ? userName : values["name"].Trim(),
            PasswordHash = PasswordHasher.Hash(password!),
            PasswordChangedAt = now,
            Role = role,
            Skills = string.Join(',', skills),
            MaxConcurrent = maxConcurrent,
            FromConfiguration = false,
        });
        await db.SaveChangesAsync(ct);
        await output.WriteLineAsync($"created {role} '{userName}' in {store.DatabaseFile ?? "the store"}.");
        return 0;
    }

    private static async Task<string?> ReadPasswordAsync(TextReader input, TextWriter output)
    {
        if (Console.IsInputRedirected || !ReferenceEquals(input, Console.In))
        {
            return await input.ReadLineAsync();
        }

        await output.WriteAsync("Password: ");
        var first = ReadHidden();
        await output.WriteAsync("Again: ");
        var second = ReadHidden();
        return first == second ? first : null;
    }

    private static string ReadHidden()
    {
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}

/// <summary>What an agent's user name, role, skills and password must be; shared by create-agent and the admin API.</summary>
internal static class AgentRules
{
    public static IEnumerable<string> Check(string userName, string role, IReadOnlyList<string> skills, int maxConcurrent, IEnumerable<string> knownSkills,
        string userKey = "userName", string roleKey = "role", string skillsKey = "skills", string maxKey = "maxConcurrent")
    {
        if (userName.Length is < 1 or > 64 || !userName.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
        {
            yield return $"{userKey} must be 1-64 letters, digits, '.', '-', '_' or '@'";
        }

        if (!AgentRoles.All.Contains(role))
        {
            yield return $"{roleKey} must be '{AgentRoles.Agent}' or '{AgentRoles.Supervisor}'";
        }

        var known = new HashSet<string>(knownSkills, StringComparer.OrdinalIgnoreCase);
        foreach (var skill in skills.Where(s => !known.Contains(s)))
        {
            yield return $"{skillsKey}: '{skill}' is not in Routing:Skills ({string.Join(", ", known)})";
        }

        if (maxConcurrent is < 1 or > 100)
        {
            yield return $"{maxKey} must be 1-100";
        }
    }

    public static string? CheckPassword(string? password, string userName, int minLength)
    {
        if (string.IsNullOrEmpty(password))
        {
            return "a password is required (the two entries must match)";
        }

        if (password.Length < minLength)
        {
            return $"the password must have at least {minLength} characters (Auth:MinPasswordLength)";
        }

        if (password.Length > 256)
        {
            return "the password must have at most 256 characters";
        }

        if (string.Equals(password.Trim(), userName.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return "the password must not be the user name";
        }

        return null;
    }
}
