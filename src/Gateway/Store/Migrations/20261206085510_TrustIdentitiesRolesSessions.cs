using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class TrustIdentitiesRolesSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DeclaredEmail",
                table: "Contacts",
                type: "TEXT",
                maxLength: 320,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeclaredName",
                table: "Contacts",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeclaredPhone",
                table: "Contacts",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "MergedIntoId",
                table: "Contacts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FromConfiguration",
                table: "Agents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "PasswordChangedAt",
                table: "Agents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Role",
                table: "Agents",
                type: "TEXT",
                maxLength: 20,
                nullable: false,
                defaultValue: "agent");

            migrationBuilder.CreateTable(
                name: "AgentSessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AgentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ClientAddress = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ContactMerges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    FromContactId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IntoContactId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AgentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MergedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Moved = table.Column<string>(type: "TEXT", maxLength: 100000, nullable: false),
                    UndoneAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UndoneByAgentId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContactMerges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "GatewayKeys",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GatewayKeys", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AgentSessions_AgentId",
                table: "AgentSessions",
                column: "AgentId");

            migrationBuilder.CreateIndex(
                name: "IX_ContactMerges_FromContactId",
                table: "ContactMerges",
                column: "FromContactId");

            migrationBuilder.CreateIndex(
                name: "IX_ContactMerges_IntoContactId",
                table: "ContactMerges",
                column: "IntoContactId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AgentSessions");

            migrationBuilder.DropTable(
                name: "ContactMerges");

            migrationBuilder.DropTable(
                name: "GatewayKeys");

            migrationBuilder.DropColumn(
                name: "DeclaredEmail",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "DeclaredName",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "DeclaredPhone",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "MergedIntoId",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "FromConfiguration",
                table: "Agents");

            migrationBuilder.DropColumn(
                name: "PasswordChangedAt",
                table: "Agents");

            migrationBuilder.DropColumn(
                name: "Role",
                table: "Agents");
        }
    }
}
