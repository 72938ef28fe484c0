"""The switch's web system over HTTPS (docs/web.md): login with the switch's users, a dashboard,
the smart-upgrade page with the seed's web prompt, and the seed's two web actions."""
