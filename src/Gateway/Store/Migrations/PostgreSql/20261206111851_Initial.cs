using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Agents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    PasswordHash = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Skills = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    MaxConcurrent = table.Column<int>(type: "integer", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    Role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false, defaultValue: "agent"),
                    FromConfiguration = table.Column<bool>(type: "boolean", nullable: false),
                    PasswordChangedAt = table.Column<long>(type: "bigint", nullable: true),
                    ChannelCapacity = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Attributes = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Agents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AgentSessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AgentId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastSeenAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    ClientAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ContactMerges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    FromContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    IntoContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    AgentId = table.Column<Guid>(type: "uuid", nullable: false),
                    MergedAt = table.Column<long>(type: "bigint", nullable: false),
                    Moved = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    UndoneAt = table.Column<long>(type: "bigint", nullable: true),
                    UndoneByAgentId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactMerges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Contacts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Phone = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    DeclaredName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    DeclaredPhone = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    DeclaredEmail = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    MergedIntoId = table.Column<Guid>(type: "uuid", nullable: true),
                    IsVip = table.Column<bool>(type: "boolean", nullable: false),
                    ExclusiveAgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Contacts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "GatewayKeys",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Value = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GatewayKeys", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "InboundHeads",
                columns: table => new
                {
                    ConversationId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastMessageId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastMessageAt = table.Column<long>(type: "bigint", nullable: false),
                    RunStartId = table.Column<Guid>(type: "uuid", nullable: true),
                    RunStartAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboundHeads", x => x.ConversationId);
                });

            migrationBuilder.CreateTable(
                name: "Messages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ConversationId = table.Column<Guid>(type: "uuid", nullable: false),
                    InstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Direction = table.Column<int>(type: "integer", nullable: false),
                    Text = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    ProviderMessageId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ProviderKey = table.Column<long>(type: "bigint", nullable: true),
                    ExternalId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    AgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    AgentName = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Error = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "bigint", nullable: true),
                    DeliveryOwner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: true),
                    PreviousInboundId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Messages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChannelIdentities",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    InstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChannelIdentities", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ChannelIdentities_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Conversations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Skill = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    RoutingReason = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Language = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Tags = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    AssignedAgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    LastInstanceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    LastExternalId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastMessageAt = table.Column<long>(type: "bigint", nullable: false),
                    AssignedAt = table.Column<long>(type: "bigint", nullable: true),
                    ClosedAt = table.Column<long>(type: "bigint", nullable: true),
                    StepEnteredAt = table.Column<long>(type: "bigint", nullable: true),
                    TransferCount = table.Column<int>(type: "integer", nullable: false),
                    NeedsSupervisor = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Conversations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Conversations_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Agents_UserName",
                table: "Agents",
                column: "UserName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AgentSessions_AgentId",
                table: "AgentSessions",
                column: "AgentId");

            migrationBuilder.CreateIndex(
                name: "IX_ChannelIdentities_ContactId",
                table: "ChannelIdentities",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_ChannelIdentities_InstanceId_ExternalId",
                table: "ChannelIdentities",
                columns: new[] { "InstanceId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ContactMerges_FromContactId",
                table: "ContactMerges",
                column: "FromContactId");

            migrationBuilder.CreateIndex(
                name: "IX_ContactMerges_IntoContactId",
                table: "ContactMerges",
                column: "IntoContactId");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Email",
                table: "Contacts",
                column: "Email",
                unique: true,
                filter: "\"Email\" IS NOT NULL AND \"MergedIntoId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts",
                column: "Phone",
                unique: true,
                filter: "\"Phone\" IS NOT NULL AND \"MergedIntoId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_ContactId_Status",
                table: "Conversations",
                columns: new[] { "ContactId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_Status_AssignedAgentId",
                table: "Conversations",
                columns: new[] { "Status", "AssignedAgentId" });

            migrationBuilder.CreateIndex(
                name: "IX_Messages_AgentId_CreatedAt",
                table: "Messages",
                columns: new[] { "AgentId", "CreatedAt" },
                filter: "\"Status\" = 4");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ConversationId_CreatedAt",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt" },
                filter: "\"Direction\" <> 0");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_NextAttemptAt",
                table: "Messages",
                column: "NextAttemptAt",
                filter: "\"Status\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ProviderKey",
                table: "Messages",
                column: "ProviderKey",
                filter: "\"ProviderKey\" IS NOT NULL AND \"Direction\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_Replies",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt" },
                filter: "\"Direction\" = 1");

            migrationBuilder.CreateIndex(
                name: "UX_Messages_Inbound",
                table: "Messages",
                columns: new[] { "InstanceId", "ProviderMessageId" },
                unique: true,
                filter: "\"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL");

            // An agent's answer ends its conversation's run of unanswered customer messages (InboundHead.RunStartId),
            // as SQLite's trigger of the same name does.
            migrationBuilder.Sql(
                "CREATE FUNCTION \"Messages_AnswerEndsInboundRun\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
                "UPDATE \"InboundHeads\" SET \"RunStartId\" = NULL, \"RunStartAt\" = NULL WHERE \"ConversationId\" = NEW.\"ConversationId\"; " +
                "RETURN NULL; END $$;");
            migrationBuilder.Sql(
                "CREATE TRIGGER \"Messages_AnswerEndsInboundRun\" AFTER INSERT ON \"Messages\" FOR EACH ROW " +
                "WHEN (NEW.\"Direction\" = 1 AND NEW.\"AgentId\" IS NOT NULL) EXECUTE FUNCTION \"Messages_AnswerEndsInboundRun\"();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER \"Messages_AnswerEndsInboundRun\" ON \"Messages\";");
            migrationBuilder.Sql("DROP FUNCTION \"Messages_AnswerEndsInboundRun\"();");

            migrationBuilder.DropTable(
                name: "Agents");

            migrationBuilder.DropTable(
                name: "AgentSessions");

            migrationBuilder.DropTable(
                name: "ChannelIdentities");

            migrationBuilder.DropTable(
                name: "ContactMerges");

            migrationBuilder.DropTable(
                name: "Conversations");

            migrationBuilder.DropTable(
                name: "GatewayKeys");

            migrationBuilder.DropTable(
                name: "InboundHeads");

            migrationBuilder.DropTable(
                name: "Messages");

            migrationBuilder.DropTable(
                name: "Contacts");
        }
    }
}
